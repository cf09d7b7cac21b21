/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Fails a test when Netty, this project or anything else logs a warning or an error during it that the test did
 * not declare with {@link AllowLog}. A warning nobody reads is how a double release or a swallowed exception
 * passes a green build ("Failed to close a channel" from {@code closeForcibly}, an exception that reached the
 * pipeline's tail). Registered for every test through JUnit's extension auto-detection, as
 * {@link LeakFailingExtension} is.
 *
 * <p>The extension makes Netty log through {@code java.util.logging} (whatever else is on the test class path),
 * so one handler on the root logger sees every record; {@link #beforeAll} fails if the factory was changed.
 * Records are gathered from every thread (event loops included) and checked after each test, against that
 * test's and its classes' allow-list, and after each class, against the class's: so a warning an event loop
 * logs while the class shuts its group down counts too.
 */
public final class LogFailingExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    /** Reports leaks; {@link LeakFailingExtension} turns each into a failure of its own. */
    private static final String LEAK_DETECTOR = "io.netty.util.ResourceLeakDetector";
    private static final Queue<LogRecord> RECORDS = new ConcurrentLinkedQueue<>();
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()
                    && !LEAK_DETECTOR.equals(record.getLoggerName())) {
                RECORDS.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    static {
        // netty-testsuite brings Logback, which Netty would otherwise prefer. JUnit loads auto-detected extensions
        // before any test class runs, so every Netty logger is created after this line.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        Logger.getLogger("").addHandler(HANDLER);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!(InternalLoggerFactory.getDefaultFactory() instanceof JdkLoggerFactory)) {
            throw new AssertionError("Netty logs through " + InternalLoggerFactory.getDefaultFactory()
                    + ", but LogFailingExtension reads java.util.logging: something replaced the factory");
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context, context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context, context.getDisplayName() + " (around its tests)");
    }

    /**
     * Removes and returns, described as a failure would describe them, the warnings and errors logged since the
     * last check: for a test that asserts on them itself. What it takes is no longer checked after the test.
     */
    public static List<String> takeLogged() {
        List<String> described = new ArrayList<>();
        for (LogRecord record : drain()) {
            described.add(describe(record));
        }
        return described;
    }

    private static List<LogRecord> drain() {
        List<LogRecord> records = new ArrayList<>();
        for (LogRecord r; (r = RECORDS.poll()) != null; ) {
            records.add(r);
        }
        return records;
    }

    private static void check(ExtensionContext context, String what) {
        List<AllowLog> allowed = allowed(context);
        List<String> unexpected = new ArrayList<>();
        for (LogRecord record : drain()) {
            if (allowed.stream().noneMatch(a -> matches(a, record))) {
                unexpected.add(describe(record));
            }
        }
        if (!unexpected.isEmpty()) {
            throw new AssertionError(unexpected.size() + " unexpected warning(s) or error(s) logged in or before "
                    + what + " (a test that provokes one on purpose declares it with @AllowLog):\n"
                    + String.join("\n\n", unexpected));
        }
    }

    /** The allow-list of this context: the test method's, its class's and the enclosing classes'. */
    private static List<AllowLog> allowed(ExtensionContext context) {
        List<AllowLog> allowed = new ArrayList<>();
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            c.get().getElement().ifPresent(element ->
                    allowed.addAll(AnnotationSupport.findRepeatableAnnotations(element, AllowLog.class)));
        }
        return allowed;
    }

    static boolean matches(AllowLog allow, LogRecord record) {
        String name = String.valueOf(record.getLoggerName());
        if (!name.equals(allow.logger()) && !name.startsWith(allow.logger() + '.')) {
            return false;
        }
        Pattern pattern = Pattern.compile(allow.message());
        if (pattern.matcher(message(record)).find()) {
            return true;
        }
        for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
            if (pattern.matcher(t.toString()).find()) {
                return true;
            }
        }
        return false;
    }

    private static String message(LogRecord record) {
        String message = String.valueOf(record.getMessage());
        Object[] params = record.getParameters();
        return params == null || params.length == 0 ? message : MessageFormat.format(message, params);
    }

    private static String describe(LogRecord record) {
        StringBuilder sb = new StringBuilder()
                .append(record.getLevel()).append(' ').append(record.getLoggerName()).append(": ")
                .append(message(record));
        for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
            sb.append("\n    ").append(t == record.getThrown() ? "" : "caused by ").append(t);
            StackTraceElement[] trace = t.getStackTrace();
            for (int i = 0; i < Math.min(trace.length, 8); i++) {
                sb.append("\n        at ").append(trace[i]);
            }
        }
        return sb.toString();
    }
}
