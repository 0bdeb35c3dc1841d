package io.nftpolicy.backend.sync;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A small hand-made table, edited at random, including what the compiler never writes: elements out of order, keys
 * twice in one set, comments that differ only past what the kernel keeps, declarations and chain comments that
 * change, and two sets of one name (which no kernel holds). A few sets (one of concatenations), a dispatch map and
 * chains that use them.
 */
final class HandMadeTable {
    private static final String LONG = "x".repeat(140);

    final List<NamedSet> sets = new ArrayList<>();
    final List<MapElement> dispatch = new ArrayList<>();
    final List<Chain> chains = new ArrayList<>();
    String mapComment = "dispatch";
    int nextSet;

    static HandMadeTable initial(Random random) {
        HandMadeTable m = new HandMadeTable();
        for (int i = 0; i < 4; i++) {
            m.sets.add(m.newSet(random));
        }
        for (int i = 0; i < 3; i++) {
            m.chains.add(new Chain("c" + i, Optional.empty(), "chain " + i,
                    List.of(Rule.of("ip saddr @" + m.sets.get(i).name() + " accept", "rule " + i))));
        }
        for (int i = 0; i < 6; i++) {
            m.dispatch.add(new MapElement(address(random), "c" + random.nextInt(3), "pod " + i));
        }
        return m;
    }

    Ruleset ruleset() {
        // Sorted, and usually each key once (the dispatch list may hold an address twice).
        List<MapElement> map = new ArrayList<>(dispatch);
        map.sort(null);
        List<MapElement> unique = new ArrayList<>();
        for (MapElement e : map) {
            if (unique.isEmpty() || !unique.get(unique.size() - 1).key().equals(e.key()) || e.key().hashCode() % 3 == 0) {
                unique.add(e);
            }
        }
        List<Chain> all = new ArrayList<>();
        all.add(new Chain("filter-forward", Optional.of(new BaseHook("forward", 0)), "base",
                List.of(Rule.of("ip daddr vmap @m", ""))));
        all.addAll(chains);
        return new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, "table",
                List.copyOf(sets), List.of(new VerdictMap("m", KeyType.IPV4_ADDR, mapComment, unique)), all);
    }

    NamedSet newSet(Random random) {
        boolean concat = random.nextInt(4) == 0;
        List<SetElement> elements = new ArrayList<>();
        int n = random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(40);
        for (int i = 0; i < n; i++) {
            elements.add(element(random, concat));
        }
        elements.sort(null);
        return new NamedSet("s" + nextSet++, concat
                ? List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE) : List.of(KeyType.IPV4_ADDR),
                false, "set", dedup(elements));
    }

    static List<SetElement> dedup(List<SetElement> sorted) {
        List<SetElement> out = new ArrayList<>();
        for (SetElement e : sorted) {
            if (out.isEmpty() || out.get(out.size() - 1).compareTo(e) != 0) {
                out.add(e);
            }
        }
        return out;
    }

    static IpAddress address(Random random) {
        return IpAddress.parse("10.0." + random.nextInt(3) + "." + random.nextInt(40));
    }

    static SetElement element(Random random, boolean concat) {
        List<KeyPart> key = new ArrayList<>();
        key.add(new KeyPart.Addresses(IpRange.single(address(random))));
        if (concat) {
            key.add(new KeyPart.Proto(random.nextBoolean() ? Protocol.TCP : Protocol.UDP));
            int port = 80 + random.nextInt(3); // one port: a range needs an interval set, and may overlap another
            key.add(new KeyPart.Ports(port, port));
        }
        return switch (random.nextInt(4)) {
            case 0 -> new SetElement(key, sources(random));
            case 1 -> new SetElement(key, List.of(), LONG + random.nextInt(3));
            default -> new SetElement(key, List.of(), "pod-" + random.nextInt(5));
        };
    }

    static List<Source> sources(Random random) {
        List<Source> out = new ArrayList<>();
        int n = 1 + random.nextInt(8);
        for (int i = 0; i < n; i++) {
            out.add(new Source("ns/policy-" + random.nextInt(3) + "-with-a-rather-long-name",
                    PolicyType.INGRESS, random.nextInt(2), random.nextInt(2)));
        }
        out.sort(null);
        return out;
    }

    void edit(Random random) {
        int which = random.nextInt(sets.size());
        NamedSet s = sets.get(which);
        boolean concat = s.keyType().size() > 1;
        List<SetElement> elements = new ArrayList<>(s.elements());
        int at = elements.isEmpty() ? 0 : random.nextInt(elements.size());
        switch (random.nextInt(16)) {
            case 0, 1, 2 -> {
                elements.add(element(random, concat));
                elements.sort(null);
                elements = dedup(elements);
            }
            case 3, 4 -> {
                if (!elements.isEmpty()) {
                    elements.remove(at);
                }
            }
            case 5, 6 -> {
                // Another comment, sources or both, the same key: sometimes the same as the kernel sees it.
                if (!elements.isEmpty()) {
                    SetElement e = elements.get(at);
                    SetElement f = element(random, concat);
                    elements.set(at, new SetElement(e.key(), f.sources(), f.comment()));
                }
            }
            case 7 -> {
                // Out of order.
                if (elements.size() > 1) {
                    Collections.swap(elements, at, random.nextInt(elements.size()));
                }
            }
            case 8 -> {
                // A key twice.
                if (!elements.isEmpty()) {
                    SetElement e = elements.get(at);
                    SetElement f = element(random, concat);
                    elements.add(random.nextInt(elements.size() + 1), new SetElement(e.key(), f.sources(), f.comment()));
                }
            }
            case 9 -> {
                elements.sort(null);
                elements = dedup(elements);
            }
            case 10 -> {
                sets.set(which, new NamedSet(s.name(), s.keyType(), !s.interval(), s.comment(), elements));
                return;
            }
            case 11 -> {
                String comment = random.nextBoolean() ? LONG + random.nextInt(3) : "set " + random.nextInt(2);
                sets.set(which, new NamedSet(s.name(), s.keyType(), s.interval(), comment, elements));
                return;
            }
            case 12 -> {
                if (random.nextBoolean() && sets.size() > 1) {
                    // not while a rule looks it up: no kernel would take that table
                    if (chains.stream().flatMap(c -> c.rules().stream())
                            .noneMatch(r -> r.statement().contains("@" + s.name() + " "))) {
                        sets.remove(which);
                    }
                } else if (random.nextInt(4) == 0) {
                    sets.add(new NamedSet(s.name(), s.keyType(), s.interval(), s.comment(),
                            List.of(element(random, concat))));
                } else {
                    sets.add(newSet(random));
                }
                return;
            }
            case 13 -> {
                if (!dispatch.isEmpty() && random.nextBoolean()) {
                    int i = random.nextInt(dispatch.size());
                    MapElement e = dispatch.get(i);
                    dispatch.set(i, random.nextBoolean()
                            ? new MapElement(e.key(), "c" + random.nextInt(chains.size()), e.comment())
                            : new MapElement(e.key(), e.chain(), random.nextBoolean() ? LONG + random.nextInt(2) : "pod"));
                } else if (random.nextBoolean() && !dispatch.isEmpty()) {
                    dispatch.remove(random.nextInt(dispatch.size()));
                } else {
                    dispatch.add(new MapElement(address(random), "c" + random.nextInt(chains.size()), "pod"));
                }
                return;
            }
            case 14 -> {
                int i = random.nextInt(chains.size());
                Chain c = chains.get(i);
                List<Rule> rules = new ArrayList<>(c.rules());
                String target = sets.get(random.nextInt(sets.size())).name();
                switch (random.nextInt(4)) {
                    case 0 -> rules.add(Rule.of("ip daddr @" + target + " accept", "rule"));
                    case 1 -> rules.set(0, new Rule(rules.get(0).statement(), rules.get(0).comment(),
                            List.of(new Source("ns/p", PolicyType.EGRESS, 0, random.nextInt(3)))));
                    case 2 -> rules.set(0, Rule.of(rules.get(0).statement(), LONG + random.nextInt(2)));
                    default -> {
                        if (rules.size() > 1) {
                            rules.remove(rules.size() - 1);
                        }
                    }
                }
                chains.set(i, new Chain(c.name(), c.hook(), random.nextInt(8) == 0 ? "changed" : c.comment(), rules));
                return;
            }
            default -> {
                mapComment = random.nextInt(4) == 0 ? "dispatch " + random.nextInt(2) : mapComment;
                return;
            }
        }
        sets.set(which, new NamedSet(s.name(), s.keyType(), s.interval(), s.comment(), elements));
    }

    /** An equal ruleset made of new objects throughout. */
    static Ruleset copy(Ruleset r) {
        return new Ruleset(new String(r.family()), new String(r.table()), new String(r.comment()),
                r.sets().stream().map(s -> new NamedSet(new String(s.name()), new ArrayList<>(s.keyType()), s.interval(),
                        new String(s.comment()), s.elements().stream().map(e -> new SetElement(new ArrayList<>(e.key()),
                                new ArrayList<>(e.sources()), new String(e.comment()))).toList())).toList(),
                r.maps().stream().map(m -> new VerdictMap(new String(m.name()), m.keyType(), new String(m.comment()),
                        m.elements().stream().map(e -> new MapElement(e.key(), new String(e.chain()),
                                new String(e.comment()))).toList())).toList(),
                r.chains().stream().map(c -> new Chain(new String(c.name()), c.hook(), new String(c.comment()),
                        c.rules().stream().map(x -> new Rule(new String(x.statement()), new String(x.comment()),
                                new ArrayList<>(x.sources()))).toList())).toList());
    }
}
