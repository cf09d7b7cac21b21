/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/**
 * Blocking work (a socket's sender or receiver, a process to wait for) on a thread of its own.
 *
 * <p>Not {@code CompletableFuture.runAsync(task)}: without an executor that runs on the common fork-join pool,
 * whose parallelism is the CPU count minus one. On a 2-CPU machine that is 1; JDK 17 then starts a new thread per
 * task, but JDK 21+ queues the task on the pool, so a receiver waits behind an endless sender and TCP stalls.
 * The build's forbidden-API check rejects the executor-less variants.
 */
public final class BlockingTask {

    private BlockingTask() {
    }

    /** Starts {@code task} on a new daemon thread named {@code name}; the future gives its result. */
    public static <T> FutureTask<T> start(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        Thread thread = new Thread(future, name);
        thread.setDaemon(true);
        thread.start();
        return future;
    }
}
