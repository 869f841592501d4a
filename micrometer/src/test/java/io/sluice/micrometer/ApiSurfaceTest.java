package io.sluice.micrometer;

import io.sluice.core.testing.ApiSurface;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

class ApiSurfaceTest {

    @Test
    void publicApiEqualsTheCheckedInDump() {
        ApiSurface.assertMatchesDump(Path.of("target/classes"), Path.of("api/sluice-micrometer.api"));
    }
}
