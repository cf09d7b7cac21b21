/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A one-way TCP transfer over a connected pair of sockets, checked byte for byte with SHA-256. */
public final class TcpTransfer {

    private TcpTransfer() {
    }

    /**
     * Sends {@code total} bytes ({@code chunk} repeated; {@code total} a multiple of its length) from {@code client}
     * to {@code accepted}, shuts the client's output, reads to the end and asserts that every byte arrived unchanged.
     */
    public static void assertExact(Socket client, Socket accepted, int total, byte[] chunk, int waitSeconds)
            throws Exception {
        accepted.setSoTimeout(waitSeconds * 1000);
        Future<byte[]> sent = BlockingTask.start("tcp-transfer-sender", () -> {
            try (OutputStream out = client.getOutputStream()) {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                for (int i = 0; i < total / chunk.length; i++) {
                    out.write(chunk);
                    digest.update(chunk);
                }
                client.shutdownOutput();
                return digest.digest();
            }
        });
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long received = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = accepted.getInputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                digest.update(buf, 0, n);
                received += n;
            }
        }
        assertEquals(total, received, "bytes received");
        assertArrayEquals(sent.get(waitSeconds, TimeUnit.SECONDS), digest.digest(), "bytes changed on the way");
    }
}
