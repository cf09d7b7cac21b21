/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */

/**
 * Support for tests, benchmarks and demos of TUN code, as Netty ships {@code EmbeddedChannel}: scratch network
 * namespaces joined by veth pairs ({@link io.github.nettytun.testing.TemporaryNetns}), IP/TCP/UDP packets built by
 * hand ({@link io.github.nettytun.testing.PacketBuilder}, {@link io.github.nettytun.testing.TestPackets}), a
 * handler that bridges two TUN channels ({@link io.github.nettytun.testing.TunBridge}) and the launcher of a stock
 * wireguard-go peer ({@link io.github.nettytun.testing.WireGuardGo}). Not needed to use the library; the real-kernel
 * parts need root and iproute2. The JUnit parts (extensions, the TunChannel contract suite) stay in the module's
 * test-jar, in the same package.
 */
package io.github.nettytun.testing;
