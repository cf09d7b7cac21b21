/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import org.conscrypt.Conscrypt;

import java.security.Provider;

/**
 * Conscrypt's JCA provider (BoringSSL), loaded once and used by instance: never installed in the JVM, so nothing
 * else in the application changes provider. {@code null} (and why) where its native library does not load.
 */
final class ConscryptProvider {

    static final Provider PROVIDER;
    static final String FAILURE;

    static {
        Provider provider = null;
        String failure = null;
        try {
            Conscrypt.checkAvailability(); // throws what kept its native library from loading
            provider = Conscrypt.newProvider();
        } catch (Throwable t) { // a missing or foreign native library surfaces as an Error
            failure = t.toString();
        }
        PROVIDER = provider;
        FAILURE = failure;
    }

    private ConscryptProvider() {
    }
}
