/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Fails a test when Netty's leak detector reports a {@code ByteBuf} that was garbage-collected without being
 * released. Registered for every test through JUnit's extension auto-detection
 * ({@code META-INF/services}); the parent pom turns auto-detection on and runs the detector at PARANOID.
 *
 * <p>Leaks are found when the leaked buffer is collected, so after each test this forces garbage collection
 * and allocates a tracked buffer, which makes the detector poll its queue of collected buffers.
 */
public final class LeakFailingExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!RecordingLeakDetector.isInstalled()) {
            throw new AssertionError("tests must run with -Dio.netty.leakDetection.level=paranoid and "
                    + "-Dio.netty.customResourceLeakDetector=" + RecordingLeakDetector.class.getName()
                    + " (the parent pom's surefire argLine sets both)");
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        check(context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        check(context.getDisplayName() + " (after all)");
    }

    private static void check(String what) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            // Reference processing is asynchronous; give the reference handler a moment, then make the
            // detector poll its queue by tracking a new buffer.
            Thread.sleep(20);
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(1);
            probe.release();
            ByteBuf heapProbe = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
            heapProbe.release();
        }
        List<String> leaks = RecordingLeakDetector.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) detected in or before " + what + ":\n"
                    + String.join("\n\n", leaks));
        }
    }
}
