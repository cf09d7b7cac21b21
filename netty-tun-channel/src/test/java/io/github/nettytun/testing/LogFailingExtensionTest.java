/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * {@link LogFailingExtension} fails a test that logs a warning or error it did not declare, from any thread, and
 * lets declared ones pass. The samples are nested classes, which surefire does not run by itself; each runs here
 * through JUnit's engine test kit.
 */
class LogFailingExtensionTest {

    private static final InternalLogger NETTY_LOGGER = InternalLoggerFactory.getInstance("io.netty.sample.Handler");

    @Test
    void quietTestPasses() {
        run(Quiet.class).assertStatistics(s -> s.succeeded(1).failed(0));
    }

    @Test
    void undeclaredWarningFailsTheTest() {
        Events tests = run(Warns.class);
        tests.assertStatistics(s -> s.failed(1));
        String failure = failureOf(tests);
        assertTrue(failure.contains("1 unexpected warning(s) or error(s)"), failure);
        assertTrue(failure.contains("WARNING io.netty.sample.Handler: Failed to close a channel."), failure);
        assertTrue(failure.contains("IllegalStateException: refCnt: 0"), failure);
    }

    @Test
    void errorOnAnotherThreadFailsTheTest() {
        Events tests = run(ErrorOnEventLoop.class);
        tests.assertStatistics(s -> s.failed(1));
        assertTrue(failureOf(tests).contains("SEVERE io.netty.sample.Handler: from the loop"), failureOf(tests));
    }

    @Test
    void declaredWarningPasses() {
        run(WarnsAsDeclared.class).assertStatistics(s -> s.succeeded(2).failed(0));
    }

    @Test
    void declarationMustMatchLoggerAndMessage() {
        run(WarnsOtherwise.class).assertStatistics(s -> s.succeeded(0).failed(2));
    }

    @Test
    void takeLoggedHandsTheRecordsToTheTest() {
        NETTY_LOGGER.warn("read by the test");
        List<String> logged = LogFailingExtension.takeLogged();
        assertEquals(List.of("WARNING io.netty.sample.Handler: read by the test"), logged);
    }

    private static Events run(Class<?> sample) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(sample)).execute().testEvents();
    }

    private static String failureOf(Events tests) {
        return tests.failed().stream()
                .map(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow())
                .map(r -> String.valueOf(r.getThrowable().orElseThrow().getMessage()))
                .findFirst().orElse("no failure");
    }

    @ExtendWith(LogFailingExtension.class)
    static class Quiet {
        @Test
        void logsInfoOnly() {
            NETTY_LOGGER.info("an info line is no warning");
        }
    }

    @ExtendWith(LogFailingExtension.class)
    static class Warns {
        @Test
        void logsAFailedClose() {
            NETTY_LOGGER.warn("Failed to close a channel.", new IllegalStateException("refCnt: 0, decrement: 1"));
        }
    }

    @ExtendWith(LogFailingExtension.class)
    static class ErrorOnEventLoop {
        @Test
        void logsFromAnotherThread() throws Exception {
            BlockingTask.start("sample-loop", () -> {
                NETTY_LOGGER.error("from the loop");
                return null;
            }).get(10, TimeUnit.SECONDS);
        }
    }

    @ExtendWith(LogFailingExtension.class)
    @AllowLog(logger = "io.netty.sample", message = "^provoked by the class$", reason = "sample")
    static class WarnsAsDeclared {
        @Test
        @AllowLog(logger = "io.netty.sample.Handler", message = "refCnt: 0", reason = "sample: matched in the cause")
        void methodDeclaration() {
            NETTY_LOGGER.warn("Failed to close a channel.", new IllegalStateException("wrapped",
                    new IllegalStateException("refCnt: 0, decrement: 1")));
        }

        @Test
        void classDeclaration() {
            NETTY_LOGGER.warn("provoked by the class");
        }
    }

    @ExtendWith(LogFailingExtension.class)
    static class WarnsOtherwise {
        @Test
        @AllowLog(logger = "io.netty.sample.Hand", message = "provoked", reason = "sample: a logger name's prefix only")
        void otherLogger() {
            NETTY_LOGGER.warn("provoked");
        }

        @Test
        @AllowLog(logger = "io.netty.sample.Handler", message = "provoked", reason = "sample: another message")
        void otherMessage() {
            NETTY_LOGGER.warn("something else");
        }
    }
}
