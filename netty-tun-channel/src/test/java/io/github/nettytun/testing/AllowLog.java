/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A warning or error that a test provokes on purpose, so that {@link LogFailingExtension} lets it pass. On a test
 * method it covers that test; on a class, every test of the class and what the class logs around them (its
 * {@code @AfterAll}, for example).
 *
 * <pre>{@code
 * @Test
 * @AllowLog(logger = "io.netty.channel.DefaultChannelPipeline", message = "exceptionCaught\\(\\) event was fired",
 *           reason = "the handler under test rethrows the packet error")
 * void ...
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Repeatable(AllowLog.List.class)
public @interface AllowLog {

    /** The logger's name, or the name of a package or class above it ({@code io.netty.channel}). */
    String logger();

    /**
     * A regular expression that must be found in the message or in the text of the logged exception (its class
     * name and message, and those of its causes).
     */
    String message();

    /** Why the test provokes it: the reader's explanation, not checked. */
    String reason();

    /** The container of repeated {@link AllowLog}s. */
    @Documented
    @Inherited
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.TYPE, ElementType.METHOD})
    @interface List {
        AllowLog[] value();
    }
}
