package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.ForeignObject;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.backend.sync.TableState.ChainState;
import io.nftpolicy.backend.sync.TableState.Container;
import io.nftpolicy.backend.sync.TableState.ContainerState;
import io.nftpolicy.backend.sync.TableState.Entry;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the kernel's table differs from the model, in words, one difference per entry; empty when they agree.
 * {@code nftpolicy verify} prints them and exits 1 when there are any.
 *
 * <p>Per set, map or chain at most {@value #MAX_PER_OBJECT} differences are listed, then how many more there are.
 * Rules are compared by their {@link RuleDigest} (comment, sets looked up, verdict) unless both sides know the rule
 * text.
 *
 * @param differences e.g. {@code set peer-1d2b870c-v4: element 10.244.2.20 comment "myproject/client" missing}
 */
public record Drift(List<String> differences) {
    /** Most differences listed per set, map or chain. */
    public static final int MAX_PER_OBJECT = 20;

    public Drift {
        differences = List.copyOf(differences);
    }

    public boolean isEmpty() {
        return differences.isEmpty();
    }

    /** The differences between what the kernel holds ({@code actual}) and the model. */
    public static Drift between(TableState actual, Ruleset desired) {
        return compare(actual, desired, true);
    }

    /**
     * As {@link #between(TableState, Ruleset)}, comparing each rule's whole expression as well where
     * {@code expressions} knows how the kernel lists its statement ({@link NftExecutor#ruleExpressions}).
     */
    public static Drift between(TableState actual, Ruleset desired, Map<String, String> expressions) {
        RulesetDiff.checkTable(desired);
        desired = withKernelGeneration(actual, desired);
        return compare(actual, desired, TableState.committed(desired, null, expressions), true);
    }

    /**
     * As {@link #between}, without the elements of sets and maps: for a table read back without them
     * ({@link NftExecutor#readDeclarations}), whose sets and maps are then compared one at a time
     * ({@link #ofSet}, {@link #ofMap}).
     */
    public static Drift ofDeclarations(TableState actual, Ruleset desired) {
        return compare(actual, desired, false);
    }

    /** As {@link #ofDeclarations(TableState, Ruleset)}, with {@code want}: {@code desired}, committed. */
    static Drift ofDeclarations(TableState actual, Ruleset desired, TableState want) {
        return compare(actual, desired, want, false);
    }

    /** How one set read back ({@code kernel}; empty: not in the kernel) differs from the model's {@code desired}. */
    public static Drift ofSet(Optional<NamedSet> kernel, NamedSet desired) {
        return ofContainer(kernel.map(Container::of), Container.of(desired));
    }

    /** How one verdict map read back ({@code kernel}; empty: not in the kernel) differs from {@code desired}. */
    public static Drift ofMap(Optional<VerdictMap> kernel, VerdictMap desired) {
        return ofContainer(kernel.map(Container::of), Container.of(desired));
    }

    private static Drift ofContainer(Optional<Container> kernel, Container desired) {
        List<String> out = new ArrayList<>();
        container(kernel.map(ContainerState::readBack).orElse(null), ContainerState.committed(desired), desired, true,
                out);
        return new Drift(out);
    }

    private static Drift compare(TableState actual, Ruleset desired, boolean elements) {
        RulesetDiff.checkTable(desired);
        desired = withKernelGeneration(actual, desired);
        return compare(actual, desired, TableState.committed(desired), elements);
    }

    /**
     * {@code desired} at the generation the kernel's table stamps flows with: the generation is the kernel's to keep
     * (the backend raises it with each change), so any one is in sync.
     */
    static Ruleset withKernelGeneration(TableState actual, Ruleset desired) {
        if (EstablishedFlows.generation(desired).isPresent() && actual.generation().isPresent()) {
            return EstablishedFlows.withGeneration(desired, actual.generation().getAsInt());
        }
        return desired;
    }

    private static Drift compare(TableState actual, Ruleset desired, TableState want, boolean elements) {
        List<String> out = new ArrayList<>();
        String table = "table " + Ruleset.FAMILY + " " + Ruleset.TABLE;
        if (!actual.tablePresent()) {
            out.add(table + ": missing");
            return new Drift(out);
        }
        if (!actual.tableComment().equals(want.tableComment())) {
            out.add(table + ": comment \"" + actual.tableComment() + "\" in the kernel, \"" + want.tableComment()
                    + "\" expected (cannot be repaired without deleting the table)");
        }
        if (!actual.flags().isEmpty()) {
            out.add(table + ": flags " + String.join(", ", actual.flags()) + " in the kernel, none expected"
                    + (actual.flags().contains("dormant") ? " (dormant: its base chains are off, nothing is filtered)"
                    : ""));
        }
        for (ForeignObject f : actual.foreign()) {
            out.add(f.kind() + " " + f.name() + ": not nftpolicy's (" + f.what() + ")");
        }
        List<Container> containers = Container.of(desired);
        for (boolean maps : new boolean[] {false, true}) {
            for (Container c : containers) {
                if (c.declaration() instanceof NftObject.Map == maps) {
                    container(actual.containers().get(c.name()), want.containers().get(c.name()), c, elements, out);
                }
            }
            for (ContainerState c : actual.containers().values()) {
                if (c.isMap() == maps && !want.containers().containsKey(c.name())) {
                    out.add(c.named().kind() + " " + c.name() + ": not in the model");
                }
            }
        }
        for (Chain chain : desired.chains()) {
            chain(actual.chains().get(chain.name()), want.chains().get(chain.name()), chain, out);
        }
        // Objects the kernel holds that the model does not: drift too (someone added them, or a deletion was lost).
        actual.chains().keySet().stream().filter(n -> !want.chains().containsKey(n))
                .forEach(n -> out.add("chain " + n + ": not in the model"));
        return new Drift(out);
    }

    /** One set or map: {@code have} null when the kernel lacks it. */
    private static void container(ContainerState have, ContainerState w, Container c, boolean elements,
                                  List<String> out) {
        String what = c.declaration().kind() + " " + c.name();
        if (have == null) {
            out.add(what + ": missing");
            return;
        }
        if (!have.sameDeclaration(w)) {
            out.add(what + ": declared as " + have.declaration() + " in the kernel, " + w.declaration() + " expected");
        }
        if (!elements) {
            return;
        }
        Limited list = new Limited(out, what);
        for (Object element : c.elements()) {
            Entry x = Entry.of(element);
            Entry k = have.elements().get(x.key());
            if (k == null) {
                list.add("element " + x.describe() + " missing");
            } else if (!k.sameAs(x)) {
                // a set element differs only by its comment; a map element is shown whole
                list.add(x.jump().isEmpty() ? "element " + x.keyText() + " has comment \"" + k.effectiveComment()
                        + "\" in the kernel, \"" + x.effectiveComment() + "\" expected"
                        : "element " + k.describe() + " in the kernel, " + x.describe() + " expected");
            }
        }
        for (Map.Entry<List<KeyPart>, Entry> k : have.elements().entrySet()) {
            if (!w.elements().containsKey(k.getKey())) {
                list.add("extra element " + k.getValue().describe());
            }
        }
        list.close();
    }

    /** One chain: {@code have} null when the kernel lacks it. */
    private static void chain(ChainState have, ChainState w, Chain chain, List<String> out) {
        String what = "chain " + chain.name();
        if (have == null) {
            out.add(what + ": missing");
            return;
        }
        if (!have.hook().equals(w.hook())) {
            out.add(what + ": " + hook(have) + " in the kernel, " + hook(w) + " expected");
        }
        if (!have.comment().equals(w.comment())) {
            out.add(what + ": comment \"" + have.comment() + "\" in the kernel, \"" + w.comment() + "\" expected");
        }
        if (!have.sameRules(w)) {
            compareRules(out, what, have, w);
        }
    }

    @Override
    public String toString() {
        return isEmpty() ? "no drift" : String.join("\n", differences);
    }

    private static void compareRules(List<String> out, String what, ChainState have, ChainState want) {
        Limited list = new Limited(out, what);
        boolean text = have.rules().isPresent() && want.rules().isPresent();
        int n = Math.max(have.digests().size(), want.digests().size());
        if (have.digests().size() != want.digests().size()) {
            list.add(have.digests().size() + " rules in the kernel, " + want.digests().size() + " expected");
        }
        for (int i = 0; i < n; i++) {
            Optional<String> k = rule(have, i, text);
            Optional<String> w = rule(want, i, text);
            if (k.isEmpty()) {
                list.add("rule " + (i + 1) + " missing: " + w.get());
            } else if (w.isEmpty()) {
                list.add("extra rule " + (i + 1) + ": " + k.get());
            } else if (!k.equals(w)) {
                list.add("rule " + (i + 1) + " is " + k.get() + " in the kernel, " + w.get() + " expected");
            } else if (!text && !have.sameExpression(want, i)) {
                list.add("rule " + (i + 1) + " " + k.get() + " matches " + have.expressions().get(i)
                        + " in the kernel, " + want.expressions().get(i) + " expected");
            }
        }
        list.close();
    }

    private static Optional<String> rule(ChainState chain, int i, boolean text) {
        if (i >= chain.digests().size()) {
            return Optional.empty();
        }
        return Optional.of(text ? "{" + chain.rules().get().get(i) + "}" : describe(chain.digests().get(i)));
    }

    private static String hook(ChainState chain) {
        return chain.hook().map(h -> "hook " + h.hook() + " priority " + h.priority()).orElse("no hook");
    }

    static String describe(RuleDigest d) {
        return "{" + d.verdict() + (d.sets().isEmpty() ? "" : " using @" + String.join(", @", d.sets()))
                + (d.comment().isEmpty() ? "" : " comment \"" + d.comment() + "\"") + "}";
    }

    /** Lists at most MAX_PER_OBJECT differences of one object, then a count of the rest. */
    private static final class Limited {
        private final List<String> out;
        private final String object;
        private int count;

        Limited(List<String> out, String object) {
            this.out = out;
            this.object = object;
        }

        void add(String difference) {
            if (count++ < MAX_PER_OBJECT) {
                out.add(object + ": " + difference);
            }
        }

        void close() {
            if (count > MAX_PER_OBJECT) {
                out.add(object + ": " + (count - MAX_PER_OBJECT) + " more differences");
            }
        }
    }
}
