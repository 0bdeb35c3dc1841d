package io.nftpolicy.compile;

import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Established flows follow the policy: a post-step over a compiled ruleset (after {@link FailClosed}) that makes a
 * change of policy apply to connections already open, in the kernel and without a race.
 *
 * <p>Every flow the table lets through carries, in bits {@value #MASK_TEXT} of its conntrack mark, the generation
 * of the ruleset that judged it. The backend raises the generation with every transaction that changes the table.
 * The base chains then read:
 * <pre>
 * ct state established,related ct mark &amp; 0xfffff000 == @flow-generation accept    judged by the rules in force
 * ct direction reply ct mark &amp; 0xfffff000 == 0xfffff000 drop                      replies of a flow denied on re-check
 * ct state established ct direction reply accept                                 other replies are never judged
 * (IPv6 neighbour discovery, fail-closed drops)
 * jump flow-stamp                                                                 ct mark := this generation
 * (dispatch to the group chains)
 * </pre>
 * So the first packet in the original direction of a flow judged under an older ruleset walks the policy chains
 * again, by its own (original-direction) addresses and ports, exactly as a new connection's first packet does. If it
 * is allowed, it carries the new generation and the flow is back on the one-lookup fast path. If it is denied, the
 * group chain's drop marks the flow denied ({@link #DENIED}), so its replies are dropped too and the connection is
 * cut: a TCP flow is reset both ways (its originator by the packet judged, its peer by its next reply), a UDP flow
 * is dropped both ways. Its originator's later packets are judged again each time, so a UDP flow that is allowed
 * again resumes.
 * Replies are never judged as new connections: a reply of a flow of an older generation passes until its
 * originator's next packet has been judged.
 *
 * <p>A flow that conntrack picked up in the middle (its entry was lost, {@code nf_conntrack_tcp_loose}) has a new
 * entry whose original direction is that of the first packet seen, which may be a reply: that packet is then
 * judged as a new connection in its own direction, as in any stateful firewall, and dropped unless policy allows
 * that direction too; an allowed flow resumes with its originator's next packet. A TCP flow that was cut cannot
 * come back this way, because the cut reset both of its ends.
 *
 * <p>The generation of a freshly compiled ruleset is {@value #FIRST_GENERATION}; the backend replaces it with the
 * kernel's next one ({@link #withGeneration}). Not thread-safe: one instance per node, called with successive
 * compilations; unchanged base chains come back as the same instances.
 */
public final class EstablishedFlows {
    /** The bits of the conntrack mark that nftpolicy owns: 20 bits of generation; the low 12 bits are left alone. */
    public static final long MASK = 0xfffff000L;
    static final String MASK_TEXT = "0xfffff000";
    static final int SHIFT = 12;
    /** The generation field of a flow denied on re-check: all ones, never a generation. */
    public static final long DENIED = MASK;
    /** Generations run from 1 to this, then wrap to 1; 0 is an unstamped flow. */
    public static final int MAX_GENERATION = (int) (MASK >>> SHIFT) - 1;
    public static final int FIRST_GENERATION = 1;
    public static final String GENERATION_SET = "flow-generation";
    public static final String STAMP_CHAIN = "flow-stamp";
    /** The final rule of every group chain: drop, and mark the flow denied (it only matters on a re-check). */
    public static final String DROP = "ct mark set ct mark | " + MASK_TEXT + " drop";
    /**
     * Before it: an established TCP flow judged again and denied is reset, so that both ends close. A connection cut
     * by a silent drop stays open at both ends, and if conntrack then loses the entry, the first packet seen may
     * come from the server (loose pickup) and bring the flow back as a connection opened the other way.
     */
    public static final String RESET = "ct state established meta l4proto tcp ct mark set ct mark | " + MASK_TEXT
            + " reject with tcp reset";

    private Map<Chain, Chain> previousBaseChains = new IdentityHashMap<>();

    /** The ruleset with established flows re-checked, at generation {@value #FIRST_GENERATION}. */
    public Ruleset apply(Ruleset compiled) {
        Map<Chain, Chain> reused = new IdentityHashMap<>();
        List<Chain> chains = new ArrayList<>(compiled.chains().size() + 1);
        for (Chain chain : compiled.chains()) {
            if (chain.hook().isEmpty()) {
                chains.add(chain);
                continue;
            }
            Chain rewritten = previousBaseChains.get(chain);
            if (rewritten == null) {
                rewritten = rewrite(chain);
            }
            reused.put(chain, rewritten);
            chains.add(rewritten);
        }
        previousBaseChains = reused;
        chains.add(stampChain(FIRST_GENERATION));
        List<NamedSet> sets = new ArrayList<>(compiled.sets().size() + 1);
        sets.addAll(compiled.sets());
        sets.add(generationSet(FIRST_GENERATION));
        sets.sort(java.util.Comparator.comparing(NamedSet::name));
        return new Ruleset(compiled.family(), compiled.table(), compiled.comment(), sets, compiled.maps(), chains);
    }

    /** The generation a ruleset stamps its flows with; empty when it keeps established flows (no re-check). */
    public static OptionalInt generation(Ruleset ruleset) {
        for (NamedSet set : ruleset.sets()) {
            if (set.name().equals(GENERATION_SET)) {
                return generationOf(set.elements());
            }
        }
        return OptionalInt.empty();
    }

    /** The generation that the elements of a generation set hold; empty unless they are exactly one generation. */
    public static OptionalInt generationOf(List<SetElement> elements) {
        if (elements.size() != 1 || !(elements.get(0).key().get(0) instanceof KeyPart.Mark mark)) {
            return OptionalInt.empty();
        }
        long value = mark.value();
        if ((value & ~MASK) != 0 || value == DENIED || value == 0) {
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) (value >>> SHIFT));
    }

    /**
     * The same ruleset stamping flows with {@code generation}: only its generation set and stamp chain differ, every
     * other object is the same instance.
     *
     * @throws IllegalArgumentException when the ruleset does not re-check established flows, or the generation is out
     *                                  of range
     */
    public static Ruleset withGeneration(Ruleset ruleset, int generation) {
        checkGeneration(generation);
        if (generation(ruleset).isEmpty()) {
            throw new IllegalArgumentException("the ruleset keeps established flows: it has no generation");
        }
        if (generation(ruleset).getAsInt() == generation) {
            return ruleset;
        }
        List<NamedSet> sets = new ArrayList<>(ruleset.sets());
        sets.replaceAll(s -> s.name().equals(GENERATION_SET) ? generationSet(generation) : s);
        List<Chain> chains = new ArrayList<>(ruleset.chains());
        chains.replaceAll(c -> c.name().equals(STAMP_CHAIN) ? stampChain(generation) : c);
        return new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(), sets, ruleset.maps(), chains);
    }

    /** The generation after {@code generation}, wrapping from {@link #MAX_GENERATION} to 1. */
    public static int next(int generation) {
        checkGeneration(generation);
        return generation == MAX_GENERATION ? 1 : generation + 1;
    }

    private static void checkGeneration(int generation) {
        if (generation < 1 || generation > MAX_GENERATION) {
            throw new IllegalArgumentException("generation " + generation + " is outside 1.." + MAX_GENERATION);
        }
    }

    static long markOf(int generation) {
        return (long) generation << SHIFT;
    }

    private static NamedSet generationSet(int generation) {
        return new NamedSet(GENERATION_SET, List.of(KeyType.MARK), false,
                "the ruleset generation: flows stamped with it were judged by the rules in force",
                List.of(new SetElement(List.of(new KeyPart.Mark(markOf(generation))), List.of(),
                        "generation " + generation)));
    }

    private static Chain stampChain(int generation) {
        long mark = markOf(generation);
        // Written as nft lists it: it folds "(ct mark & 0xfff) | g" into one mask that keeps g's own bits.
        String statement = String.format("ct mark set ct mark & 0x%08x | 0x%08x", (~MASK & 0xffffffffL) | mark, mark);
        return new Chain(STAMP_CHAIN, Optional.empty(), "stamps a flow with the generation that judged it",
                List.of(Rule.of(statement, "generation " + generation)));
    }

    private static Chain rewrite(Chain base) {
        List<Rule> rules = new ArrayList<>(base.rules().size() + 3);
        boolean stamped = false;
        for (Rule rule : base.rules()) {
            if (rule.statement().equals(RulesetAssembler.ESTABLISHED)) {
                rules.add(Rule.of("ct state established,related ct mark & " + MASK_TEXT + " == @" + GENERATION_SET
                        + " accept", "flows judged by the rules in force, and their replies"));
                rules.add(Rule.of("ct direction reply ct mark & " + MASK_TEXT + " == " + MASK_TEXT
                        + " meta l4proto tcp reject with tcp reset", "replies of a TCP flow denied when judged again"));
                rules.add(Rule.of("ct direction reply ct mark & " + MASK_TEXT + " == " + MASK_TEXT + " drop",
                        "replies of a flow denied when judged again"));
                rules.add(Rule.of("ct state established ct direction reply accept",
                        "replies of flows judged by older rules: never judged as new connections"));
                rules.add(Rule.of("ct state related accept", "related to flows already allowed"));
                continue;
            }
            if (!stamped && rule.statement().contains(" vmap @")) {
                rules.add(Rule.of("jump " + STAMP_CHAIN,
                        "new flows and flows judged by older rules: stamped, then judged (a drop marks them denied)"));
                stamped = true;
            }
            rules.add(rule);
        }
        if (!stamped) {
            rules.add(Rule.of("jump " + STAMP_CHAIN, "stamped with the generation of the rules in force"));
        }
        return new Chain(base.name(), base.hook(), base.comment(), rules);
    }
}
