package io.sluice.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class LeakCheckExtensionTest {

    @Test
    void unreleasedBufferIsReportedAsLeak() {
        allocateAndDrop();
        List<String> leaks = LeakCheckExtension.collectLeaks();
        assertTrue(leaks.stream().anyMatch(l -> l.contains("allocateAndDrop")),
                "the leak check must see a buffer dropped without release; it saw: " + leaks);
    }

    private static void allocateAndDrop() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.heapBuffer(16);
        leaked.writeInt(42);
        leaked.getInt(0); // a recorded access, so the report names this method
    }
}
