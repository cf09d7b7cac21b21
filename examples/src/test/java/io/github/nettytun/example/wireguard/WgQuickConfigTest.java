/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.PeerConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** wg-quick files as the wg-quick(8) and wg(8) manual pages write them, and every malformed case with its line. */
class WgQuickConfigTest {

    static final String KEY_A = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    static final String KEY_B = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    static final String KEY_C = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
    static final String KEY_D = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=";

    /** The example of wg-quick(8), with the server's own keys. */
    static final String MANUAL_EXAMPLE = String.join("\n",
            "[Interface]",
            "Address = 10.200.100.8/24",
            "DNS = 10.200.100.1",
            "PrivateKey = oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=",
            "",
            "[Peer]",
            "PublicKey = GtL7fZc/bLnqZldpVofMCD6hDjrK28SsdLxevJ+qtKU=",
            "PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=",
            "AllowedIPs = 0.0.0.0/0",
            "Endpoint = demo.wireguard.com:51820",
            "");

    @Test
    void parsesTheManualsExample() throws Exception {
        WgQuickConfig c = WgQuickConfig.parse(MANUAL_EXAMPLE);
        assertArrayEquals(Base64.getDecoder().decode("oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM="), c.privateKey());
        assertEquals("10.200.100.8/24", c.addresses().get(0).toString());
        assertEquals(0, c.listenPort());
        assertNull(c.mtu());
        assertEquals(1, c.peers().size());
        PeerConfig p = c.peers().get(0);
        assertTrue(p.hasPresharedKey());
        assertEquals("0.0.0.0/0", p.allowedIps().get(0).toString());
        assertTrue(p.endpoint().isUnresolved(), "host names are kept until start");
        assertEquals("demo.wireguard.com", p.endpoint().getHostString());
        assertEquals(51820, p.endpoint().getPort());
        assertEquals(List.of("line 3: DNS is not supported by this server and is ignored"), c.warnings());
    }

    @Test
    void parsesAFullServerFile() throws Exception {
        WgQuickConfig c = WgQuickConfig.parse(String.join("\n",
                "# a server",
                "[interface]",
                "privatekey=" + KEY_A + "   # inline comment",
                "ListenPort = 51820",
                "Address = 10.9.0.1/24, fd09::1/64",
                "Address = 10.10.0.1",
                "MTU = 1380",
                "PostUp = iptables -A FORWARD -i %i -j ACCEPT",
                "preup = echo one",
                "PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE; echo 'a = b'",
                "PostDown = iptables -D FORWARD -i %i -j ACCEPT",
                "Table = off",
                "",
                "[Peer]",
                "PublicKey = " + KEY_B,
                "AllowedIPs = 10.9.0.2/32, fd09::2/128",
                "AllowedIPs = 192.168.7.0/24",
                "Endpoint = [fd00::7]:51821",
                "PersistentKeepalive = 25",
                "[Peer]",
                "PublicKey = " + KEY_C,
                "AllowedIPs = 10.9.0.3/32",
                "Endpoint = 10.1.0.3:51822",
                "PersistentKeepalive = off"));
        assertEquals(51820, c.listenPort());
        assertEquals(1380, c.mtu());
        assertEquals("[10.9.0.1/24, fd09:0:0:0:0:0:0:1/64, 10.10.0.1/32]", c.addresses().toString());
        assertEquals(2, c.peers().size());
        PeerConfig b = c.peers().get(0);
        assertEquals(3, b.allowedIps().size());
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::7"), 51821), b.endpoint());
        assertEquals(25, b.persistentKeepaliveSeconds());
        assertFalse(b.hasPresharedKey());
        assertEquals(new InetSocketAddress(InetAddress.getByName("10.1.0.3"), 51822), c.peers().get(1).endpoint());
        assertEquals(0, c.peers().get(1).persistentKeepaliveSeconds());
        assertEquals(0, c.warnings().size(), c.warnings().toString());
        assertEquals(WgQuickConfig.TABLE_OFF, c.table());
        assertEquals(List.of("iptables -A FORWARD -i %i -j ACCEPT",
                "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE; echo 'a = b'"),
                c.hooks(WgQuickConfig.Hook.POST_UP), "in file order, the value whole");
        assertEquals(List.of("echo one"), c.hooks(WgQuickConfig.Hook.PRE_UP));
        assertEquals(List.of(), c.hooks(WgQuickConfig.Hook.PRE_DOWN));
        assertEquals(1, c.hooks(WgQuickConfig.Hook.POST_DOWN).size());
    }

    @Test
    void readsTableAndFwMark() throws Exception {
        String head = "[Interface]\nPrivateKey = " + KEY_A + "\n";
        WgQuickConfig c = WgQuickConfig.parse(head + "Table = 1234\nFwMark = 0xca6c\n");
        assertEquals(1234, c.table());
        assertEquals(51820, c.fwmark());
        c = WgQuickConfig.parse(head + "Table = main\nFwMark = off\n");
        assertEquals(254, c.table());
        assertEquals(0, c.fwmark());
        c = WgQuickConfig.parse(head + "table = AUTO\nfwmark = 4294967295\n");
        assertEquals(WgQuickConfig.TABLE_AUTO, c.table());
        assertEquals(-1, c.fwmark(), "the mark is unsigned 32 bits");
        assertEquals(WgQuickConfig.TABLE_AUTO, WgQuickConfig.parse(head).table(), "auto when not given");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no interface                 | [Peer]\\nPublicKey = KEY_B                                  | no [Interface] section
            no private key               | [Interface]\\nListenPort = 1                                | line 1: [Interface] has no PrivateKey
            key outside a section        | PrivateKey = KEY_A\\n[Interface]                            | line 1: PrivateKey outside a section
            unknown section              | [Interface]\\nPrivateKey = KEY_A\\n[Peers]                  | line 3: unknown section [Peers]
            unclosed header              | [Interface\\nPrivateKey = KEY_A                             | line 1: section header without ']'
            no equals sign               | [Interface]\\nListenPort 51820                              | line 2: expected 'Key = Value'
            empty value                  | [Interface]\\nPrivateKey =                                  | line 2: PrivateKey has no value
            bad base64                   | [Interface]\\nPrivateKey = not-a-key!                       | line 2: PrivateKey is not base64
            short key                    | [Interface]\\nPrivateKey = AAAA                             | line 2: PrivateKey must be 32 bytes, got 3
            unknown interface key        | [Interface]\\nPrivateKey = KEY_A\\nListenPrt = 5            | line 3: unknown key ListenPrt in [Interface]
            port out of range            | [Interface]\\nPrivateKey = KEY_A\\nListenPort = 70000      | line 3: ListenPort must be a number in 0..65535
            port not a number            | [Interface]\\nPrivateKey = KEY_A\\nListenPort = x          | line 3: ListenPort must be a number
            mtu too small                | [Interface]\\nPrivateKey = KEY_A\\nMTU = 100               | line 3: MTU must be a number in 576..65535
            local table                  | [Interface]\\nPrivateKey = KEY_A\\nTable = 255             | line 3: Table must be off, auto, main or a table number
            table by name                | [Interface]\\nPrivateKey = KEY_A\\nTable = vpn             | line 3: Table must be off, auto, main or a table number
            bad fwmark                   | [Interface]\\nPrivateKey = KEY_A\\nFwMark = 0x1g            | line 3: FwMark must be off or a number
            bad address                  | [Interface]\\nPrivateKey = KEY_A\\nAddress = 10.0.0.300/24 | line 3: Address: not an IP address
            bad prefix                   | [Interface]\\nPrivateKey = KEY_A\\nAddress = 10.0.0.1/33   | line 3: Address: prefix length 33
            empty list entry             | [Interface]\\nPrivateKey = KEY_A\\nAddress = 10.0.0.1/24,  | line 3: Address has an empty entry
            twice the same key           | [Interface]\\nPrivateKey = KEY_A\\nPrivateKey = KEY_C      | line 3: PrivateKey given twice in this section (first on line 2)
            two interface sections       | [Interface]\\nPrivateKey = KEY_A\\n[Interface]             | line 3: a second [Interface] section (the first is on line 1)
            peer without public key      | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nAllowedIPs = 10.0.0.2/32 | line 3: [Peer] has no PublicKey
            duplicate peer               | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\n[Peer]\\nPublicKey = KEY_B | line 5: the same PublicKey as the [Peer] on line 3
            unknown peer key             | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nAllowedIP = 10.0.0.2 | line 5: unknown key AllowedIP in [Peer]
            bad allowed ip               | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nAllowedIPs = 10.0.0/8 | line 5: AllowedIPs: not an IP address
            endpoint without port        | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nEndpoint = 10.0.0.2 | line 5: Endpoint must be host:port
            bare ipv6 endpoint           | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nEndpoint = fd00::1:51820 | line 5: Endpoint must be host:port (IPv6 as [address]:port)
            endpoint port zero           | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nEndpoint = 10.0.0.2:0 | line 5: Endpoint port must be a number in 1..65535
            keepalive not a number       | [Interface]\\nPrivateKey = KEY_A\\n[Peer]\\nPublicKey = KEY_B\\nPersistentKeepalive = often | line 5: PersistentKeepalive must be a number in 0..65535
            """)
    void malformedFilesNameTheLine(String name, String text, String expected) {
        String config = text.replace("\\n", "\n").replace("KEY_A", KEY_A).replace("KEY_B", KEY_B)
                .replace("KEY_C", KEY_C).replace("KEY_D", KEY_D);
        WgQuickConfig.ParseException e = assertThrows(WgQuickConfig.ParseException.class,
                () -> WgQuickConfig.parse(config));
        assertTrue(e.getMessage().startsWith(expected), name + ": " + e.getMessage());
    }
}
