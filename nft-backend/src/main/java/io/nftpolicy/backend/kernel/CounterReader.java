package io.nftpolicy.backend.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.Count;
import io.nftpolicy.stats.CounterReadings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The counters of table {@code inet nftpolicy}: each rule's {@code counter}, in chain order, from one terse listing
 * (no set elements), then the elements of each set declared with {@code counter}, one {@code list set} each. Only
 * figures are read here; what they count is {@link io.nftpolicy.stats.PolicyCounters}' business.
 */
public final class CounterReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CounterReader() {}

    /** Empty when there is no table. */
    public static Optional<CounterReadings> read(Nftables nft) throws NftablesException {
        return read(nft::listTable, nft);
    }

    /**
     * As {@link #read(Nftables)}, with the table's listing made by {@code tables} (a child {@code nft} process, say)
     * and each counting set's by {@code sets}.
     */
    public static Optional<CounterReadings> read(KernelTableReader.Lister tables, Nftables sets)
            throws NftablesException {
        Optional<String> listing = tables.listTable(Ruleset.FAMILY, Ruleset.TABLE,
                EnumSet.of(OutputFlag.JSON, OutputFlag.TERSE));
        if (listing.isEmpty()) {
            return Optional.empty();
        }
        Map<String, List<Optional<Count>>> chains = new LinkedHashMap<>();
        List<String> countingSets = new ArrayList<>();
        for (JsonNode item : items(listing.get())) {
            JsonNode rule = item.get("rule");
            JsonNode chain = item.get("chain");
            JsonNode set = item.get("set");
            if (chain != null && owned(chain)) {
                chains.putIfAbsent(chain.path("name").asText(), new ArrayList<>());
            } else if (rule != null && owned(rule)) {
                chains.computeIfAbsent(rule.path("chain").asText(), c -> new ArrayList<>()).add(ruleCounter(rule));
            } else if (set != null && owned(set) && countsElements(set)) {
                countingSets.add(set.path("name").asText());
            }
        }
        Map<String, Map<IpAddress, Count>> elements = new HashMap<>();
        for (String name : countingSets) {
            String json = sets.run("list set " + Ruleset.FAMILY + " " + Ruleset.TABLE + " " + name,
                    EnumSet.of(OutputFlag.JSON));
            elements.put(name, elementCounters(json, name));
        }
        return Optional.of(new CounterReadings(chains, elements));
    }

    /** Each element's counter of the one set listed in {@code json}, by address; other keys are skipped. */
    static Map<IpAddress, Count> elementCounters(String json, String name) {
        Map<IpAddress, Count> out = new HashMap<>();
        for (JsonNode item : items(json)) {
            JsonNode set = item.get("set");
            if (set == null || !set.path("name").asText().equals(name)) {
                continue;
            }
            for (JsonNode element : set.path("elem")) {
                JsonNode elem = element.get("elem");
                if (elem == null || !elem.path("val").isTextual() || !elem.path("counter").isObject()) {
                    continue;
                }
                try {
                    out.put(IpAddress.parse(elem.get("val").textValue()), count(elem.get("counter")));
                } catch (IllegalArgumentException notAnAddress) {
                    // a set of other keys: not one of the drop sets
                }
            }
        }
        return out;
    }

    private static Optional<Count> ruleCounter(JsonNode rule) {
        for (JsonNode expr : rule.path("expr")) {
            JsonNode counter = expr.get("counter");
            if (counter != null && counter.isObject()) {
                return Optional.of(count(counter));
            }
        }
        return Optional.empty();
    }

    private static boolean countsElements(JsonNode set) {
        for (JsonNode stmt : set.path("stmt")) {
            if (stmt.has("counter")) {
                return true;
            }
        }
        return false;
    }

    private static Count count(JsonNode counter) {
        return new Count(counter.path("packets").asLong(), counter.path("bytes").asLong());
    }

    private static boolean owned(JsonNode body) {
        return Ruleset.FAMILY.equals(body.path("family").asText()) && Ruleset.TABLE.equals(body.path("table").asText());
    }

    private static JsonNode items(String json) {
        try {
            return JSON.readTree(json).path("nftables");
        } catch (IOException e) {
            throw new KernelTableFormatException("libnftables printed no JSON: " + e.getMessage(), e);
        }
    }
}
