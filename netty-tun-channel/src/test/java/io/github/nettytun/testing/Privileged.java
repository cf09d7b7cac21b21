/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that needs the real kernel: root (CAP_NET_ADMIN and CAP_SYS_ADMIN), {@code /dev/net/tun},
 * network namespaces through iproute2's {@code ip}. Without them the class is skipped with the reason, or fails
 * under {@code NETTY_TUN_REQUIRE_PRIVILEGED=1} (see {@link TestRequirements}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("privileged")
@ExtendWith(PrivilegedExtension.class)
public @interface Privileged {
}
