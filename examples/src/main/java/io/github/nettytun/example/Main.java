/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example;

import io.github.nettytun.example.ping.PingDemo;
import io.github.nettytun.example.wireguard.SoakRun;
import io.github.nettytun.example.wireguard.VpnDemo;
import io.github.nettytun.example.wireguard.WireGuardServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The examples' command line: {@code java -jar examples/target/netty-tun-examples.jar <command>}. */
@Command(name = "netty-tun-examples", mixinStandardHelpOptions = true,
        subcommands = {VpnDemo.class, WireGuardServer.class, SoakRun.class, PingDemo.class,
                CommandLine.HelpCommand.class},
        description = "netty-tun examples.")
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
