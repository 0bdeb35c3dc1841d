package io.nftpolicy.backend.sync;

import com.google.common.collect.ListMultimap;
import com.google.common.collect.MultimapBuilder;
import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.KernelTableReader;
import io.nftpolicy.backend.kernel.RuleExpression;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How the kernel lists the rules nftpolicy writes, so that a rule read back can be compared whole
 * ({@link RuleExpression}) with the one expected. nft normalises what it lists ({@code ct mark and 0xff or 0x300}
 * comes back as {@code ct mark & 0x000003ff | 0x00000300}, anonymous sets in another order), so the text written
 * cannot be compared with the text listed; instead each statement is loaded once into a scratch network namespace
 * of its own (a table with the same sets, maps and chains, all empty, the rules without comments) and listed back.
 *
 * <p>Cached by statement text, for the life of the process: a steady state, in which the rules do not change,
 * costs a map lookup per rule. The cache keeps what the last ruleset asked for, plus what earlier ones did until
 * it grows past twice that.
 *
 * <p>When the scratch namespace cannot be had (no CAP_SYS_ADMIN) or the kernel refuses the rules there, the
 * statements stay unknown, and their rules are compared by {@link io.nftpolicy.backend.kernel.RuleDigest} only,
 * as before this existed; the reason is logged once.
 *
 * <p>Thread-safe; one scratch context per process, opened on first use.
 */
public final class RuleCanonicalizer {
    private static final Logger LOG = Logger.getLogger(RuleCanonicalizer.class.getName());
    private static final RuleCanonicalizer SHARED = new RuleCanonicalizer();

    private Nftables scratch;
    private boolean unavailable;
    private Map<String, String> cache = Map.of();

    /** The process's one canonicalizer. */
    public static RuleCanonicalizer shared() {
        return SHARED;
    }

    /**
     * Each statement of {@code ruleset}'s rules (trimmed), mapped to its expression as the kernel lists it; a
     * statement missing from the map is unknown. The same map object as last time when nothing new was asked.
     */
    public synchronized Map<String, String> expressions(Ruleset ruleset) {
        ListMultimap<String, Rule> missing = MultimapBuilder.linkedHashKeys().arrayListValues().build();
        int wanted = 0;
        for (Chain chain : ruleset.chains()) {
            for (Rule rule : chain.rules()) {
                wanted++;
                String statement = rule.statement().trim();
                if (!cache.containsKey(statement)) {
                    missing.put(chain.name(), rule);
                }
            }
        }
        if (missing.isEmpty() || unavailable) {
            return cache;
        }
        Map<String, String> learned = learn(ruleset, missing);
        if (learned.isEmpty()) {
            return cache;
        }
        Map<String, String> next = new HashMap<>();
        if (cache.size() + learned.size() <= 2 * wanted + 64) {
            next.putAll(cache);
        } else {
            // Keep only what this ruleset uses.
            for (Chain chain : ruleset.chains()) {
                for (Rule rule : chain.rules()) {
                    String statement = rule.statement().trim();
                    String known = cache.get(statement);
                    if (known != null) {
                        next.put(statement, known);
                    }
                }
            }
        }
        next.putAll(learned);
        cache = Map.copyOf(next);
        return cache;
    }

    /** Loads the missing rules, each in its own chain, into the scratch table and reads them back. */
    private Map<String, String> learn(Ruleset ruleset, ListMultimap<String, Rule> missing) {
        Transaction tx = new Transaction().addTable("");
        for (NamedSet set : ruleset.sets()) {
            tx.addSet(new NamedSet(set.name(), set.keyType(), set.interval(), "", List.of()));
        }
        for (VerdictMap map : ruleset.maps()) {
            tx.addMap(new VerdictMap(map.name(), map.keyType(), "", List.of()));
        }
        for (Chain chain : ruleset.chains()) {
            tx.addChain(chain.name(), chain.hook(), "");
        }
        missing.forEach((chain, r) -> tx.addRule(chain, Rule.of(r.statement().trim(), "")));
        try {
            if (scratch == null) {
                scratch = Nftables.openScratch();
            }
            // The table of the last call goes first, in the same transaction.
            scratch.run("add table " + Ruleset.FAMILY + " " + Ruleset.TABLE + "\ndelete table " + Ruleset.FAMILY
                    + " " + Ruleset.TABLE + "\n" + tx.render());
            Optional<String> json = scratch.listTableJson(Ruleset.FAMILY, Ruleset.TABLE);
            KernelTable listed = KernelTableReader.parse(json.orElseThrow());
            Map<String, String> learned = new HashMap<>();
            for (KernelChain chain : listed.chains()) {
                List<Rule> rules = missing.get(chain.name());
                if (chain.expressions().size() != rules.size()) {
                    throw new IllegalStateException("chain " + chain.name() + " lists " + chain.expressions().size()
                            + " rules, " + rules.size() + " were written");
                }
                for (int i = 0; i < rules.size(); i++) {
                    learned.put(rules.get(i).statement().trim(), chain.expressions().get(i));
                }
            }
            return learned;
        } catch (NftablesException | RuntimeException e) {
            if (scratch == null) {
                unavailable = true;
            }
            LOG.log(Level.WARNING, "cannot learn how the kernel lists " + missing.size()
                    + " rules; they are compared by comment, sets and verdict only: " + e.getMessage());
            return Map.of();
        }
    }
}
