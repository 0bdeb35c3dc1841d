package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The tables a big change from {@code old} to {@code next} may leave at any moment, a kill included: the old table,
 * the new one, or the old one with the new one's sets and chains committed ahead and not yet referenced
 * ({@link Transaction#splitNewObjectsFirst()}), which filters exactly as the old one. Each is compared whole
 * ({@link Drift}, rule expressions included; the flow generation is the kernel's and not compared).
 */
public final class OldOrNew {
    public static final String OLD = "old";
    public static final String NEW = "new";
    public static final String OLD_WITH_NEW_OBJECTS = "old+new objects";

    private final Ruleset old;
    private final Ruleset next;
    private final Ruleset oldWithNewObjects;
    private final Map<String, Map<String, String>> expressions;

    public OldOrNew(NftExecutor executor, Ruleset old, Ruleset next) {
        this.old = old;
        this.next = next;
        this.oldWithNewObjects = withNewObjects(old, next);
        this.expressions = Map.of(OLD, executor.ruleExpressions(old), NEW, executor.ruleExpressions(next),
                OLD_WITH_NEW_OBJECTS, executor.ruleExpressions(oldWithNewObjects));
    }

    /** {@link #OLD}, {@link #NEW} or {@link #OLD_WITH_NEW_OBJECTS}; empty for no table, or any other table. */
    public Optional<String> which(Optional<KernelTable> read) {
        if (read.isEmpty()) {
            return Optional.empty();
        }
        TableState state = TableState.readBack(read);
        if (Drift.between(state, old, expressions.get(OLD)).isEmpty()) {
            return Optional.of(OLD);
        }
        if (Drift.between(state, next, expressions.get(NEW)).isEmpty()) {
            return Optional.of(NEW);
        }
        if (Drift.between(state, oldWithNewObjects, expressions.get(OLD_WITH_NEW_OBJECTS)).isEmpty()) {
            return Optional.of(OLD_WITH_NEW_OBJECTS);
        }
        return Optional.empty();
    }

    /** The first differences of {@code read} from each table it may be, to say what a wrong table was. */
    public String differences(Optional<KernelTable> read) {
        if (read.isEmpty()) {
            return "no table";
        }
        TableState state = TableState.readBack(read);
        return "from the old table " + first(Drift.between(state, old, expressions.get(OLD)))
                + "; from the new one " + first(Drift.between(state, next, expressions.get(NEW)))
                + "; from the old one with the new objects " + first(Drift.between(state, oldWithNewObjects,
                expressions.get(OLD_WITH_NEW_OBJECTS)));
    }

    private static List<String> first(Drift drift) {
        return drift.differences().stream().limit(6).toList();
    }

    /** Old with new's sets and regular chains that old lacks: what the first of the two transactions leaves. */
    static Ruleset withNewObjects(Ruleset old, Ruleset next) {
        Set<String> sets = old.sets().stream().map(NamedSet::name).collect(Collectors.toCollection(HashSet::new));
        Set<String> chains = old.chains().stream().map(Chain::name).collect(Collectors.toCollection(HashSet::new));
        List<NamedSet> allSets = new ArrayList<>(old.sets());
        next.sets().stream().filter(s -> !sets.contains(s.name())).forEach(allSets::add);
        List<Chain> allChains = new ArrayList<>(old.chains());
        next.chains().stream().filter(c -> c.hook().isEmpty() && !chains.contains(c.name())).forEach(allChains::add);
        return new Ruleset(old.family(), old.table(), old.comment(), allSets, old.maps(), allChains);
    }
}
