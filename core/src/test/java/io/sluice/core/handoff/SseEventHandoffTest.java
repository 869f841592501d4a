package io.sluice.core.handoff;

import io.netty.buffer.Unpooled;
import io.sluice.core.SseException;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseEventHandoffTest {

    /** The producer thread's executor, run by hand: the test is both threads, in a chosen order. */
    static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }

    /** Counts pause and resume calls. */
    static final class Flow implements SseEventHandoff.FlowControl {
        int pauses;
        int resumes;

        @Override
        public void pause() {
            pauses++;
        }

        @Override
        public void resume() {
            resumes++;
        }
    }

    private static OwnedSseEvent event(String data) {
        return OwnedSseEvent.of("message", Unpooled.copiedBuffer(data, StandardCharsets.UTF_8), "");
    }

    private final ManualExecutor producer = new ManualExecutor();
    private final Flow flow = new Flow();

    @Test
    void theConsumersViewCannotOfferEndOrFailTheStream() {
        List<String> consumerMethods = Arrays.stream(SseEventQueue.class.getMethods()).map(Method::getName).toList();
        for (String producerMethod : List.of("offer", "end", "fail")) {
            assertFalse(consumerMethods.contains(producerMethod), producerMethod + " is on the consumer's view");
        }
        SseEventQueue consumer = new SseEventHandoff(8, 2, flow, producer);
        assertFalse(consumer.isDone(), "the view reads the handoff it was given");
        consumer.close();
        assertTrue(consumer.isDone());
    }

    @Test
    void endIsDeliveredAfterTheLastEvent() {
        SseEventHandoff queue = new SseEventHandoff(8, 2, flow, producer);
        queue.offer(event("a"));
        queue.offer(event("b"));
        queue.end();
        List<String> seen = new ArrayList<>();
        assertFalse(queue.isDone(), "events still queued");
        int n = queue.drain(new SseEventQueue.Handler() {
            @Override
            public void onEvent(OwnedSseEvent e) {
                seen.add(e.dataAsString());
            }

            @Override
            public void onEnd() {
                seen.add("END");
            }
        }, 10);
        assertEquals(2, n);
        assertEquals(List.of("a", "b", "END"), seen);
        assertTrue(queue.isDone());
        assertNull(queue.failure());
    }

    @Test
    void drainStopsAtMaxAndReportsTheErrorOnlyOnceEverythingIsOut() {
        SseEventHandoff queue = new SseEventHandoff(8, 2, flow, producer);
        queue.offer(event("a"));
        queue.offer(event("b"));
        SseException failure = new SseException("boom");
        queue.fail(failure);
        List<Object> seen = new ArrayList<>();
        SseEventQueue.Handler handler = new SseEventQueue.Handler() {
            @Override
            public void onEvent(OwnedSseEvent e) {
                seen.add(e.dataAsString());
            }

            @Override
            public void onError(SseException error) {
                seen.add(error);
            }
        };
        assertEquals(1, queue.drain(handler, 1));
        assertEquals(List.of("a"), seen);
        assertEquals(1, queue.drain(handler, 5));
        assertEquals(0, queue.drain(handler, 5));
        assertEquals(List.of("a", "b", failure), seen);
        assertSame(failure, queue.failure());
    }

    @Test
    void highWaterPausesAndLowWaterResumesOnTheProducerThread() {
        SseEventHandoff queue = new SseEventHandoff(4, 1, flow, producer);
        for (int i = 0; i < 4; i++) {
            queue.offer(event("e" + i));
        }
        assertEquals(1, flow.pauses);
        assertTrue(queue.isPaused());
        queue.poll().release();
        queue.poll().release();
        assertTrue(producer.tasks.isEmpty(), "2 queued is above low water");
        queue.poll().release();
        assertEquals(1, producer.tasks.size(), "1 queued is low water: resume is scheduled once");
        assertEquals(0, flow.resumes, "and runs on the producer thread, not the consumer's");
        producer.runAll();
        assertEquals(1, flow.resumes);
        assertFalse(queue.isPaused());
        queue.poll().release();
        queue.close();
        producer.runAll();
    }

    @Test
    void eventsOfTheReadInProgressWaitInOverflowAndNoneIsLostOrReordered() {
        SseEventHandoff queue = new SseEventHandoff(4, 1, flow, producer);
        for (int i = 0; i < 10; i++) {
            queue.offer(event("e" + i)); // one read's worth, past high water after autoRead went off
        }
        queue.end();
        assertEquals(10, queue.peakBacklog());
        List<String> seen = new ArrayList<>();
        while (!queue.isDone()) {
            OwnedSseEvent e = queue.poll();
            if (e == null) {
                producer.runAll(); // the producer moves the overflow in when the consumer asks
                continue;
            }
            seen.add(e.dataAsString());
            e.release();
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            expected.add("e" + i);
        }
        assertEquals(expected, seen);
        assertNull(queue.failure());
    }

    @Test
    void closeReleasesEveryQueuedAndOverflowingEventOnTheProducerThread() {
        SseEventHandoff queue = new SseEventHandoff(2, 1, flow, producer);
        List<OwnedSseEvent> offered = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            OwnedSseEvent e = event("e" + i);
            offered.add(e);
            queue.offer(e);
        }
        queue.close();
        OwnedSseEvent late = event("late");
        queue.offer(late); // after close: released at once
        assertEquals(0, late.refCnt());
        producer.runAll();
        for (OwnedSseEvent e : offered) {
            assertEquals(0, e.refCnt());
        }
        assertTrue(queue.isDone());
    }

    @Test
    void takeWaitsParkedAndWakesOnAnOfferFromAnotherThread() throws Exception {
        SseEventHandoff queue = new SseEventHandoff(8, 2, flow, Runnable::run);
        CountDownLatch parked = new CountDownLatch(1);
        Thread consumer = Thread.currentThread();
        Thread producerThread = new Thread(() -> {
            // Wait until the consumer is really parked, so the wake-up path is the one tested.
            while (consumer.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            parked.countDown();
            queue.offer(event("late"));
        });
        producerThread.start();
        OwnedSseEvent e = queue.take(10, TimeUnit.SECONDS);
        assertEquals(0, parked.getCount());
        assertEquals("late", e.dataAsString());
        e.release();
        producerThread.join();
        assertNull(queue.take(1, TimeUnit.MILLISECONDS), "timeout with nothing queued");
        assertFalse(queue.isDone());
    }

    @Test
    void consumerParkedAgainAfterAClaimedWakeUpIsWokenAgain() throws Exception {
        // The producer takes the waiter down when it unparks it: each park must publish it anew.
        SseEventHandoff queue = new SseEventHandoff(8, 2, flow, Runnable::run);
        Thread consumer = Thread.currentThread();
        CountDownLatch[] parked = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
        Thread producerThread = new Thread(() -> {
            for (int round = 0; round < parked.length; round++) {
                while (consumer.getState() != Thread.State.TIMED_WAITING) {
                    Thread.onSpinWait();
                }
                parked[round].countDown();
                queue.offer(event("e" + round));
                while (queue.size() > 0) { // taken before the consumer parks again
                    Thread.onSpinWait();
                }
            }
        });
        producerThread.start();
        for (int round = 0; round < parked.length; round++) {
            OwnedSseEvent e = queue.take(10, TimeUnit.SECONDS);
            assertEquals(0, parked[round].getCount(), "round " + round + " was taken from a park");
            assertEquals("e" + round, e.dataAsString());
            e.release();
        }
        producerThread.join();
    }

    @Test
    void blockedConsumerParksInsteadOfSpinning() throws Exception {
        SseEventHandoff queue = new SseEventHandoff(8, 2, flow, Runnable::run);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] cpuNanos = new long[1];
        Thread consumer = new Thread(() -> {
            long before = threads.getCurrentThreadCpuTime();
            try {
                assertNull(queue.take(500, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cpuNanos[0] = threads.getCurrentThreadCpuTime() - before;
        });
        consumer.start();
        consumer.join();
        // A spinning wait would burn the whole 500 ms; a parked one a few hundred microseconds.
        assertTrue(cpuNanos[0] < TimeUnit.MILLISECONDS.toNanos(100), "consumer used " + cpuNanos[0] / 1000 + " us of CPU");
    }

    @Test
    void ownedCopyOutlivesTheViewAndHoldsExactlyItsData() {
        io.netty.buffer.ByteBuf shared = Unpooled.copiedBuffer("xxhelloyy", StandardCharsets.UTF_8);
        io.sluice.core.SseEvent view = new io.sluice.core.SseEvent() {
            @Override
            public String type() {
                return "delta";
            }

            @Override
            public io.netty.buffer.ByteBuf dataBuffer() {
                return shared;
            }

            @Override
            public int dataIndex() {
                return 2;
            }

            @Override
            public int dataLength() {
                return 5;
            }

            @Override
            public String dataAsString() {
                return "hello";
            }

            @Override
            public String lastEventId() {
                return "9";
            }
        };
        OwnedSseEvent owned = OwnedSseEvent.copyOf(view, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        shared.setByte(2, 'j');
        shared.release();
        assertEquals("hello", owned.dataAsString());
        assertEquals("delta", owned.type());
        assertEquals("9", owned.lastEventId());
        assertEquals(5, owned.dataLength());
        owned.release();
    }
}
