package io.nftpolicy.stats;

import io.nftpolicy.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The counters read back from a node's table, before they are attributed.
 *
 * @param chains   per chain, each rule in kernel order: its counter, or empty for a rule without one
 * @param elements per counting set, each element's counter by address
 */
public record CounterReadings(Map<String, List<Optional<Count>>> chains, Map<String, Map<IpAddress, Count>> elements) {
    public CounterReadings {
        chains = Map.copyOf(chains);
        elements = Map.copyOf(elements);
    }
}
