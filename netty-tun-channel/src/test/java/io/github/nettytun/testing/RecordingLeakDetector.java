/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.netty.util.ResourceLeakDetector;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link ResourceLeakDetector} that records every leak it reports so that {@link LeakFailingExtension} can
 * fail the test. Installed for every test JVM by the parent pom with
 * {@code -Dio.netty.customResourceLeakDetector=io.github.nettytun.testing.RecordingLeakDetector} (Netty reads
 * the property when the first detector is created, before any test runs) and
 * {@code -Dio.netty.leakDetection.level=paranoid}.
 */
public class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    @SuppressWarnings("deprecation")
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called (no records)");
        super.reportUntracedLeak(resourceType);
    }

    /** Whether this class is the detector Netty uses in this JVM (set up by the test's argLine). */
    static boolean isInstalled() {
        return RecordingLeakDetector.class.getName().equals(System.getProperty("io.netty.customResourceLeakDetector"))
                && ResourceLeakDetector.getLevel() == Level.PARANOID;
    }

    /** Removes and returns the leaks reported so far. */
    static List<String> drain() {
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }
}
