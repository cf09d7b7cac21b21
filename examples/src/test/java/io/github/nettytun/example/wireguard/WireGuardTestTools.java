/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether Debian's wireguard-go and wg are on the PATH. */
final class WireGuardTestTools {

    private WireGuardTestTools() {
    }

    static boolean installed() {
        return onPath("wireguard-go") && onPath("wg");
    }

    static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }
}
