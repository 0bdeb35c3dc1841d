package io.nftpolicy.agent;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The JVM's garbage collections while it listens, in {@link System#nanoTime()}'s time, from the collectors' own
 * notifications (start and duration, to the millisecond), for a measurement to tell a slow sample that a pause
 * stopped from one that waited on something else. Concurrent cycles (G1's marking) are noted too, by name.
 */
final class GcPauses implements AutoCloseable {
    /** One collection: the collector's name, the cause, and when it ran. */
    record Pause(String collector, String action, String cause, long startNanos, long endNanos) {
        long overlap(long from, long to) {
            return Math.max(0, Math.min(endNanos, to) - Math.max(startNanos, from));
        }

        /** Whether it stopped the application (not a concurrent cycle). */
        boolean stopsTheWorld() {
            return !collector.contains("Cycles") && !collector.contains("Concurrent");
        }
    }

    private final List<Pause> pauses = new ArrayList<>();
    private final List<Runnable> removals = new ArrayList<>();
    /** nanoTime of the JVM's start, to place the notifications' uptime milliseconds. */
    private final long jvmStartNanos;

    GcPauses() {
        long uptimeMillis = ManagementFactory.getRuntimeMXBean().getUptime();
        jvmStartNanos = System.nanoTime() - uptimeMillis * 1_000_000L;
        NotificationListener listener = (notification, handback) -> {
            if (!notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                return;
            }
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                    (CompositeData) notification.getUserData());
            long start = jvmStartNanos + info.getGcInfo().getStartTime() * 1_000_000L;
            long end = jvmStartNanos + info.getGcInfo().getEndTime() * 1_000_000L;
            synchronized (this) {
                pauses.add(new Pause(info.getGcName(), info.getGcAction(), info.getGcCause(), start, end));
            }
        };
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (bean instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
                removals.add(() -> {
                    try {
                        emitter.removeNotificationListener(listener);
                    } catch (javax.management.ListenerNotFoundException e) {
                        // gone already
                    }
                });
            }
        }
    }

    synchronized List<Pause> pauses() {
        return List.copyOf(pauses);
    }

    @Override
    public void close() {
        removals.forEach(Runnable::run);
    }
}
