package io.nftpolicy.apiserver;

import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where pod addresses are in the agent's table, read through libnftables in the node's network namespace: the
 * outside view of "the change is in the kernel".
 */
final class KernelElements {
    /** A set or verdict map of the table, and its size when found. */
    record Location(String name, boolean map, int size) {}

    private final LibnftablesExecutor reader;

    KernelElements(LibnftablesExecutor reader) {
        this.reader = reader;
    }

    /** For each address that is an element of its own (not inside a range) somewhere: the smallest set or map. */
    Map<String, Location> smallestHolders() throws ApplyException {
        var table = reader.readBack().orElseThrow(() -> new IllegalStateException("no nftpolicy table in the netns"));
        Map<String, Location> holders = new HashMap<>();
        for (NamedSet set : table.sets()) {
            Location here = new Location(set.name(), false, set.elements().size());
            for (SetElement e : set.elements()) {
                for (String token : tokens(e.keyToNft())) {
                    holders.merge(token, here, KernelElements::smaller);
                }
            }
        }
        for (VerdictMap map : table.maps()) {
            Location here = new Location(map.name(), true, map.elements().size());
            for (MapElement e : map.elements()) {
                holders.merge(e.key().toString(), here, KernelElements::smaller);
            }
        }
        return holders;
    }

    private static Location smaller(Location a, Location b) {
        return Comparator.comparingInt(Location::size).compare(a, b) <= 0 ? a : b;
    }

    /** The address-like tokens of an element's key ("10.1.2.3 . tcp . 80" gives 10.1.2.3). */
    private static List<String> tokens(String key) {
        return Arrays.stream(key.split("[^0-9.:a-f]+")).filter(t -> t.chars().filter(c -> c == '.').count() == 3)
                .toList();
    }

    boolean holds(Location where, String address) throws ApplyException {
        if (where.map()) {
            return reader.readMap(where.name()).orElseThrow().elements().stream()
                    .anyMatch(e -> e.key().toString().equals(address));
        }
        return reader.readSet(where.name()).orElseThrow().elements().stream()
                .anyMatch(e -> tokens(e.keyToNft()).contains(address));
    }

    /**
     * Polls until the address is (or is no longer) in {@code where}.
     *
     * @return nanoTime when it was first seen so
     */
    long awaitPresence(Location where, String address, boolean present, Duration timeout)
            throws ApplyException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (holds(where, address) == present) {
                return System.nanoTime();
            }
            Thread.sleep(1);
        }
        throw new AssertionError(address + (present ? " never appeared in " : " never left ") + where + " within "
                + timeout);
    }
}
