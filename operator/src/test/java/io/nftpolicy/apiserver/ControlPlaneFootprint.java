package io.nftpolicy.apiserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the control plane holds at one moment: the resident memory of kube-apiserver, etcd and
 * kube-controller-manager (/proc/PID/status VmRSS), and the size of etcd's database file (bbolt never shrinks it
 * without a defragmentation: it is what etcd's quota, 2 GiB by default, is checked against).
 */
record ControlPlaneFootprint(long apiServerRss, long etcdRss, long controllerManagerRss, long etcdDbBytes) {

    static ControlPlaneFootprint read(ControlPlane cluster) {
        return new ControlPlaneFootprint(rss(cluster, "kube-apiserver"), rss(cluster, "etcd"),
                rss(cluster, "kube-controller-manager"), etcdDbBytes(cluster));
    }

    private static long rss(ControlPlane cluster, String component) {
        try {
            long pid = ProcessCpu.componentPid(cluster, component);
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.substring(6).strip().split("\\s+")[0]) * 1024)
                    .findFirst().orElse(-1);
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    private static long etcdDbBytes(ControlPlane cluster) {
        try {
            return Files.size(cluster.runDir().resolve("etcd/member/snap/db"));
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "resident memory: kube-apiserver %.0f MB, etcd %.0f MB, "
                        + "kube-controller-manager %.0f MB; etcd database file %.0f MB", apiServerRss / 1e6,
                etcdRss / 1e6, controllerManagerRss / 1e6, etcdDbBytes / 1e6);
    }
}
