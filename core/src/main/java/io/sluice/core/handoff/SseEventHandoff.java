package io.sluice.core.handoff;

import io.sluice.core.SseException;
import org.jctools.queues.atomic.SpscAtomicArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded handoff of {@link OwnedSseEvent}s from one producer thread (a channel's event loop) to
 * one consumer thread, with the end of the stream, or its error, delivered after the last event.
 *
 * <p>Both ends are here: the producer's ({@link #offer}, {@link #end()}, {@link #fail}), which the
 * transport keeps, and the consumer's, the {@link SseEventQueue} it hands to users (an
 * {@code SseStream}'s {@code queue()}), which cannot offer, end or fail the stream it reads.
 *
 * <h2>Backpressure</h2>
 * When the producer's offer brings the queue to {@code highWater} events it calls
 * {@link FlowControl#pause()} (in Netty: autoRead off). When the consumer brings it down to
 * {@code lowWater}, a task on the producer's executor calls {@link FlowControl#resume()}. The read
 * in progress when the producer pauses still completes, and its events must not be lost: those that
 * do not fit wait in a producer-side overflow, moved into the queue as the consumer makes room. So
 * memory is bounded by {@code highWater} events plus what one read can hold, however slow the
 * consumer.
 *
 * <h2>Waiting</h2>
 * A consumer that finds the queue empty spins for {@value #SPINS} {@link Thread#onSpinWait()}
 * rounds (an event in flight usually lands within them), then publishes itself as the waiter and
 * parks. The producer, after each offer and at the end, unparks the waiter only if one is
 * published, and takes it down as it does (a compare-and-set), so a busy consumer costs the
 * producer one fenced read per event and no system call, each park costs one unpark however many
 * events land before the consumer runs again, and an idle consumer costs no CPU at all.
 *
 * <h2>Why {@link SpscAtomicArrayQueue}</h2>
 * JCTools' {@code SpscArrayQueue} uses {@code sun.misc.Unsafe}, which JDK 25 warns about on first
 * use; the atomic-field-updater variant does not, and Sluice must run on JDK 25 without that
 * warning. Both are the same algorithm; the difference at one event per call is small next to the
 * parse and the copy (measured end to end by {@code LoopbackQueueBenchmark} in benchmarks).
 */
public final class SseEventHandoff implements SseEventQueue {
    /** Empty-queue spins before a consumer parks: about a microsecond, the time an event in flight takes. */
    static final int SPINS = 256;

    private static final Object END = new Object();
    private static final VarHandle RESUME_SCHEDULED;
    private static final VarHandle WAITER;

    static {
        try {
            RESUME_SCHEDULED = MethodHandles.lookup().findVarHandle(SseEventHandoff.class, "resumeScheduled", boolean.class);
            WAITER = MethodHandles.lookup().findVarHandle(SseEventHandoff.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Turns the producer's input off and on; both called on the producer thread. */
    public interface FlowControl {
        void pause();

        void resume();

        FlowControl NONE = new FlowControl() {
            @Override
            public void pause() {
            }

            @Override
            public void resume() {
            }
        };
    }

    private final SpscAtomicArrayQueue<OwnedSseEvent> queue;
    private final int highWater;
    private final int lowWater;
    private final FlowControl flow;
    private final Executor producerExecutor;

    // Producer thread only.
    private final ArrayDeque<OwnedSseEvent> overflow = new ArrayDeque<>();
    private Object pendingTerminal;

    // Written by the producer, read by the consumer.
    private volatile boolean paused;
    /** The most events ever held (queue and overflow): what backpressure let through. */
    private volatile int peakBacklog;
    /** END or an SseException, published only once every event before it is in the queue. */
    private volatile Object terminal;

    // Written by the consumer, read by the producer.
    private volatile Thread waiter;
    private volatile boolean closed;
    @SuppressWarnings("unused") // through RESUME_SCHEDULED
    private volatile boolean resumeScheduled;

    // Consumer thread only.
    private boolean terminalReported;

    /**
     * @param highWater events queued at which the producer is paused; the queue holds at least this many
     * @param lowWater events queued at which the producer is resumed, below {@code highWater}
     * @param flow how to pause and resume the producer
     * @param producerExecutor runs tasks on the producer thread (the channel's event loop)
     */
    public SseEventHandoff(int highWater, int lowWater, FlowControl flow, Executor producerExecutor) {
        if (lowWater < 0 || lowWater >= highWater) {
            throw new IllegalArgumentException("need 0 <= lowWater < highWater, got " + lowWater + ", " + highWater);
        }
        this.queue = new SpscAtomicArrayQueue<>(highWater);
        this.highWater = highWater;
        this.lowWater = lowWater;
        this.flow = flow;
        this.producerExecutor = producerExecutor;
    }

    // ---------------------------------------------------------------- producer

    /** Producer: hands {@code event} to the queue, which owns it until it is polled (or releases it if closed). */
    public void offer(OwnedSseEvent event) {
        if (closed) {
            event.release();
            return;
        }
        if (!overflow.isEmpty()) {
            moveOverflow();
        }
        if (!overflow.isEmpty() || !queue.offer(event)) {
            overflow.add(event);
        }
        int backlog = queue.size() + overflow.size();
        if (backlog > peakBacklog) {
            peakBacklog = backlog;
        }
        if (!paused && backlog >= highWater) {
            paused = true;
            flow.pause();
        }
        signal();
    }

    /** Producer: the stream ended cleanly; the consumer sees it after the last event. */
    public void end() {
        terminate(END);
    }

    /** Producer: the stream failed; the consumer sees {@code error} after the last event. Only the first terminal counts. */
    public void fail(SseException error) {
        terminate(error);
    }

    private void terminate(Object how) {
        if (pendingTerminal != null) {
            return;
        }
        pendingTerminal = how;
        if (overflow.isEmpty()) {
            terminal = how;
            signal();
        }
    }

    private void moveOverflow() {
        OwnedSseEvent next;
        while ((next = overflow.peek()) != null && queue.offer(next)) {
            overflow.poll();
        }
    }

    /** Runs on the producer thread, scheduled by a consumer that took the queue down to low water. */
    private void resumeOnProducer() {
        RESUME_SCHEDULED.setVolatile(this, false);
        if (closed) {
            releaseAll();
            return;
        }
        moveOverflow();
        if (overflow.isEmpty()) {
            if (pendingTerminal != null && terminal == null) {
                terminal = pendingTerminal;
            }
            if (paused && queue.size() <= lowWater) {
                paused = false;
                flow.resume();
            }
        }
        signal();
    }

    private void signal() {
        // Dekker with await(): the consumer stores waiter then reads the queue; we stored the element
        // (an ordered store only) and must read waiter after it is visible, or both could miss each other.
        VarHandle.fullFence();
        Thread w = waiter;
        // Claim the wake-up, so a park costs one unpark: the events of one read arrive faster than
        // a woken thread gets back on a core, and unparking it again for each of them (a lock, and
        // often a futex call, every event) was most of the producer's signalling cost
        // (LoopbackQueueBenchmark, counted in benchmarks/RESULTS.md). The consumer republishes
        // itself before it parks again.
        if (w != null && WAITER.compareAndSet(this, w, null)) {
            LockSupport.unpark(w);
        }
    }

    // ---------------------------------------------------------------- consumer

    @Override
    public OwnedSseEvent poll() {
        OwnedSseEvent event = queue.relaxedPoll();
        if (event != null && paused) {
            maybeResume();
        }
        return event;
    }

    @Override
    public OwnedSseEvent take(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            OwnedSseEvent event = poll();
            if (event != null || isDone()) {
                return event;
            }
            if (!await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                return null;
            }
        }
    }

    @Override
    public int drain(Handler handler, int max) {
        int n = 0;
        OwnedSseEvent event;
        while (n < max && (event = poll()) != null) {
            n++;
            try {
                handler.onEvent(event);
            } finally {
                event.release();
            }
        }
        if (n < max && !terminalReported && isDone()) {
            terminalReported = true;
            Object how = terminal;
            if (how == END) {
                handler.onEnd();
            } else if (how instanceof SseException) {
                handler.onError((SseException) how);
            }
        }
        return n;
    }

    @Override
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        if (ready()) {
            return true;
        }
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (ready()) {
                return true;
            }
        }
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        Thread me = Thread.currentThread();
        try {
            while (true) {
                waiter = me; // a volatile store: ordered before the reads in ready()
                if (ready()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            waiter = null;
        }
    }

    @Override
    public boolean isDone() {
        // terminal is published after the last offer, so reading it first makes isEmpty() final.
        return (terminal != null && queue.isEmpty()) || closed;
    }

    @Override
    public SseException failure() {
        Object how = terminal;
        return how instanceof SseException ? (SseException) how : null;
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public int peakBacklog() {
        return peakBacklog;
    }

    @Override
    public boolean isPaused() {
        return paused;
    }

    /**
     * Every event still queued is released on the producer thread (the queue has one consumer, so
     * the last drain happens where offers happen and none can slip in after it), or here if the
     * producer's executor no longer runs tasks.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            producerExecutor.execute(this::releaseAll);
        } catch (RejectedExecutionException e) {
            releaseAll(); // the producer is gone: this thread is the only one left
        }
    }

    private void releaseAll() {
        OwnedSseEvent event;
        while ((event = queue.relaxedPoll()) != null) {
            event.release();
        }
        while ((event = overflow.poll()) != null) {
            event.release();
        }
    }

    private boolean ready() {
        return !queue.isEmpty() || terminal != null || closed;
    }

    private void maybeResume() {
        if (queue.size() <= lowWater && RESUME_SCHEDULED.compareAndSet(this, false, true)) {
            try {
                producerExecutor.execute(this::resumeOnProducer);
            } catch (RejectedExecutionException e) {
                // The producer is gone; it will offer nothing more, so there is nothing to resume.
            }
        }
    }

    @Override
    public String toString() {
        return "SseEventHandoff(" + queue.size() + " queued, high " + highWater + ", low " + lowWater
                + (paused ? ", paused" : "") + (terminal != null ? ", ended" : "") + ')';
    }
}
