/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test opened, closed last-opened-first (channels and sockets before the namespaces they live in), every
 * one of them even when some fail: the first failure is thrown with the others suppressed.
 */
public final class Closer implements AutoCloseable {

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /** Closes {@code resource} with the others; returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (AutoCloseable r; (r = resources.pollLast()) != null; ) {
            try {
                r.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
