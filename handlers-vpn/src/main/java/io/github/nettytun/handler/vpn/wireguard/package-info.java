/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */

/**
 * WireGuard (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s) as Netty handlers between a TUN channel and a UDP channel.
 *
 * <p>The public face is {@link io.github.nettytun.handler.vpn.wireguard.WireGuardDevice} (one interface: key pair,
 * peers, counters, the two pipeline handlers), {@link io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel}
 * (assembles both pipelines), {@link io.github.nettytun.handler.vpn.wireguard.PeerConfig},
 * {@link io.github.nettytun.handler.vpn.wireguard.WireGuardPeer} and
 * {@link io.github.nettytun.handler.vpn.wireguard.WireGuardOptions}. Behind the device, one job per class, as
 * wireguard-go's {@code device/} has one per file; the sections are those of the WireGuard whitepaper
 * ("WireGuard: Next Generation Kernel Network Tunnel", J. A. Donenfeld):
 *
 * <table>
 *   <caption>Parts</caption>
 *   <tr><th>class</th><th>whitepaper</th><th>wireguard-go</th><th>job</th></tr>
 *   <tr><td>{@code Messages}</td><td>5.4</td><td>noise-types.go</td><td>message layout, Noise constants</td></tr>
 *   <tr><td>{@code NoiseHandshake}, {@code Handshake}</td><td>5.4.2-5.4.5</td><td>noise-protocol.go</td>
 *       <td>initiation and response, key derivation, TAI64N replay and flood guard</td></tr>
 *   <tr><td>{@code CookieChecker}, {@code CookieGenerator}, {@code HandshakeLoad}</td><td>5.3, 5.4.4, 5.4.7</td>
 *       <td>cookie.go</td><td>MAC1/MAC2, cookie replies, when the device is under load</td></tr>
 *   <tr><td>{@code IndexTable}</td><td>5.4.1</td><td>indextable.go</td><td>receiver indices</td></tr>
 *   <tr><td>{@code Keypair}, {@code Keypairs}, {@code ReplayWindow}</td><td>5.4.6, 6.1, 6.4</td>
 *       <td>keypair.go</td><td>transport keys, previous/current/next rotation, replay window</td></tr>
 *   <tr><td>{@code PeerTimers}, {@link io.github.nettytun.handler.vpn.wireguard.WireGuardTimers}</td>
 *       <td>6.1-6.5</td><td>timers.go</td><td>rekey, retransmit, keepalive, zeroing; the constants</td></tr>
 *   <tr><td>{@code SendPath}</td><td>5.4.6, 6</td><td>send.go</td>
 *       <td>cryptokey routing out, staging, sealing, handshake sends</td></tr>
 *   <tr><td>{@code ReceivePath}, {@code GroSegmentation}</td><td>5.4.6, 2</td><td>receive.go</td>
 *       <td>classifying, opening, replay check, allowed-source check; GRO boundaries</td></tr>
 *   <tr><td>{@link io.github.nettytun.handler.vpn.wireguard.AllowedIps}</td><td>2</td><td>allowedips.go</td>
 *       <td>cryptokey routing table</td></tr>
 *   <tr><td>{@code Counters}, {@link io.github.nettytun.handler.vpn.wireguard.DropCounts}</td><td></td>
 *       <td>peer.go stats</td><td>single-writer counters, drops by reason</td></tr>
 *   <tr><td>{@link io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto},
 *       {@link io.github.nettytun.handler.vpn.wireguard.TransportCipher},
 *       {@link io.github.nettytun.handler.vpn.wireguard.Tai64n}</td><td>5.4</td><td>noise-helpers.go, tai64n</td>
 *       <td>primitives (JDK and BouncyCastle)</td></tr>
 * </table>
 *
 * <p>All protocol state is confined to the device's event loop; time is that loop's
 * {@link io.netty.util.concurrent.Ticker}, so tests drive every timer with a mock ticker.
 */
package io.github.nettytun.handler.vpn.wireguard;
