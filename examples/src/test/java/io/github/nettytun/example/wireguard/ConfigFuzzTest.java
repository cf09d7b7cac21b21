/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.testing.AllowLog;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of the two parsers of operator input: wg-quick files and UAPI {@code set=1}
 * requests. A file either parses or fails with a {@link WgQuickConfig.ParseException} whose message is short (input
 * is cut); a request either applies or answers an errno, never throws. Regression mode runs the corpus in
 * {@code src/test/resources/.../ConfigFuzzTestInputs/}; {@code fuzz.sh} fuzzes.
 */
class ConfigFuzzTest {

    private static final WireGuardDevice DEVICE =
            new WireGuardDevice(WireGuardCrypto.generatePrivateKey(new SecureRandom()));

    @FuzzTest(maxDuration = "15s")
    void wgQuickFiles(FuzzedDataProvider data) {
        try {
            WgQuickConfig.parse(data.consumeRemainingAsString());
        } catch (WgQuickConfig.ParseException e) {
            if (e.getMessage().length() > WgQuickConfig.MAX_MESSAGE + 100) {
                throw new AssertionError("an overlong message: " + e.getMessage().length() + " characters");
            }
        }
    }

    @AllowLog(logger = "io.github.nettytun.example.wireguard.UapiServer", message = "^UAPI: ",
            reason = "a refused request is logged with its reason")
    @FuzzTest(maxDuration = "15s")
    void uapiSetRequests(FuzzedDataProvider data) {
        List<String> lines = Arrays.asList(data.consumeRemainingAsAsciiString().split("\n", -1));
        int errno = UapiServer.set(DEVICE, 51820, lines);
        if (errno < 0) {
            throw new AssertionError("errno " + errno);
        }
        if (DEVICE.peers().size() > 64) { // keep the state small: the fuzzer adds peers
            UapiServer.set(DEVICE, 51820, List.of("replace_peers=true"));
        }
    }
}
