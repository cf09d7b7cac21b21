/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * wg-quick's hooks ({@code PreUp}, {@code PostUp}, {@code PreDown}, {@code PostDown}) as wg-quick runs them: each
 * command with {@code bash -c}, {@code %i} replaced by the interface name, in file order, announced as
 * {@code [#] command} and its output passed on to the server's log. A command that fails (exits with a status other
 * than 0, or runs longer than {@link #TIMEOUT_SECONDS} and is killed) stops the ones after it. The commands run in
 * the calling thread's network namespace.
 */
final class HookRunner {

    /** How long one command may run: a hung PostDown must not keep a stopping server for ever. */
    static final long TIMEOUT_SECONDS = 60;

    /** A hook command that failed; the message names it and how. */
    static final class HookFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        HookFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private HookRunner() {
    }

    /**
     * Runs {@code commands} of hook {@code key} for interface {@code name}.
     *
     * @throws HookFailedException naming the first command that failed (the ones after it did not run)
     */
    static void run(String key, List<String> commands, String name, PrintStream out) throws HookFailedException {
        for (String command : commands) {
            String expanded = command.replace("%i", name);
            out.println("[#] " + expanded);
            Process p;
            try {
                p = new ProcessBuilder("bash", "-c", expanded).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new HookFailedException(key + " '" + cut(expanded) + "' could not start: " + e.getMessage(), e);
            }
            Thread pump = new Thread(() -> copy(p, out), "wg-hook-output");
            pump.setDaemon(true);
            pump.start();
            int status;
            try {
                p.getOutputStream().close();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new HookFailedException(key + " '" + cut(expanded) + "' ran longer than " + TIMEOUT_SECONDS
                            + " s and was killed", null);
                }
                status = p.exitValue();
                pump.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new HookFailedException(key + " '" + cut(expanded) + "' interrupted", e);
            } catch (IOException e) {
                throw new HookFailedException(key + " '" + cut(expanded) + "': " + e.getMessage(), e);
            }
            if (status != 0) {
                throw new HookFailedException(key + " '" + cut(expanded) + "' failed with exit status " + status,
                        null);
            }
        }
    }

    private static void copy(Process p, PrintStream out) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                out.println(line);
            }
        } catch (IOException e) {
            // the process went away; its status says the rest
        }
    }

    private static String cut(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
