/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What needs no privileges: the calling thread's own namespace and the errors. Entering others is in the contract suite. */
class NetworkNamespaceTest {

    @Test
    void theCurrentNamespaceRunsTasksOnTheCallingThread() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.current()) {
            assertTrue(ns.isCurrent());
            assertSame(Thread.currentThread(), ns.call(Thread::currentThread));
        }
    }

    @Test
    void errorsNameTheProblem() {
        IOException missing = assertThrows(IOException.class,
                () -> NetworkNamespace.open(Paths.get("/var/run/netns/ntt-no-such-namespace")));
        assertTrue(missing.getMessage().contains("ip netns add"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.named("a/b"));
    }

    @Test
    void aClosedHandleRefusesWork() throws Exception {
        NetworkNamespace ns = NetworkNamespace.current();
        ns.close();
        ns.close(); // idempotent
        assertThrows(IOException.class, () -> ns.call(() -> 1));
    }
}
