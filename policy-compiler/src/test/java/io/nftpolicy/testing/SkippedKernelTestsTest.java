package io.nftpolicy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** A run that cannot run kernel tests skips them and says how many it skipped. */
class SkippedKernelTestsTest {

    @Test
    void countsEveryKernelTestOfASkippedClassAndEachSkippedKernelMethod() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        SkippedKernelTests listener = new SkippedKernelTests(new PrintStream(buffer, true, StandardCharsets.UTF_8),
                "sample-module");

        runAsNonRoot(listener);

        assertThat(listener.skipped()).isEqualTo(3);
        assertThat(buffer.toString(StandardCharsets.UTF_8))
                .contains("sample-module: 3 KERNEL TESTS SKIPPED (0 ran): they need root");
    }

    @Test
    void saysNothingWhenNoKernelTestWasSkippedForNeedingTheKernel() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        SkippedKernelTests listener = new SkippedKernelTests(new PrintStream(buffer, true, StandardCharsets.UTF_8),
                "sample-module");

        LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
                .execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(NoKernelTests.class)).build(),
                        listener);

        assertThat(listener.skipped()).isZero();
        assertThat(buffer.size()).isZero();
    }

    /** Runs the sample classes with the kernel tests forced off, as a non-root run would. */
    private static void runAsNonRoot(SkippedKernelTests listener) {
        String before = System.getProperty(KernelTestCondition.SKIP_PROPERTY);
        System.setProperty(KernelTestCondition.SKIP_PROPERTY, "skip");
        try {
            LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
                    .execute(LauncherDiscoveryRequestBuilder.request()
                            .selectors(selectClass(TwoKernelTests.class), selectClass(OneKernelMethod.class))
                            .build(), listener);
        } finally {
            if (before == null) {
                System.clearProperty(KernelTestCondition.SKIP_PROPERTY);
            } else {
                System.setProperty(KernelTestCondition.SKIP_PROPERTY, before);
            }
        }
    }

    // Nested classes: surefire does not run them on their own (its default excludes **/*$*).

    @KernelTest
    static class TwoKernelTests {
        @Test
        void one() {}

        @Test
        void two() {}
    }

    static class OneKernelMethod {
        @KernelTest
        @Test
        void kernel() {}

        @Test
        void plain() {}
    }

    static class NoKernelTests {
        @Test
        void plain() {}
    }
}
