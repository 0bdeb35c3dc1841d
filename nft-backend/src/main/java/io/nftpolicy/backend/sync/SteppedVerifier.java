package io.nftpolicy.backend.sync;

import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link RulesetApplier#verify} in small steps, for a periodic drift check that must not stall anything: first the
 * table's declarations (one terse listing: comments, chains and their rules, set and map declarations, no
 * elements), then the elements of one set or map per step ({@code list set}, {@code list map}: libnftables fetches
 * only that object). At 20,000 elements a step reads at most one set's elements, so no step holds the CPU long or
 * builds the whole table in memory at once.
 *
 * <p>Each step compares what it read with the ruleset passed to it, which may change from step to step (the caller
 * passes what was committed when the step began). A set or map that ruleset no longer has is not read: the
 * declarations step reports it if the kernel still holds it. A set or map missing from the kernel is reported by
 * the declarations step and by its own. The comparisons are {@link Drift}'s, per object.
 *
 * <p>Not thread-safe: one thread, with an executor of its own (its own libnftables context).
 */
public final class SteppedVerifier {
    /** One step of a cycle: the declarations, or one set's or map's elements. */
    public record Step(Kind kind, String name) {
        public enum Kind { DECLARATIONS, SET, MAP }

        public static final Step DECLARATIONS = new Step(Kind.DECLARATIONS, "");

        public Step {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }

        public static Step set(String name) {
            return new Step(Kind.SET, name);
        }

        public static Step map(String name) {
            return new Step(Kind.MAP, name);
        }

        @Override
        public String toString() {
            return kind == Kind.DECLARATIONS ? "declarations" : kind.name().toLowerCase() + " " + name;
        }
    }

    private final NftExecutor reader;
    /** The last ruleset compared with, committed: its chains keep their rendered rules and digests. */
    private Ruleset wanted;
    private TableState want;

    public SteppedVerifier(NftExecutor reader) {
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    /** The steps of one cycle over {@code ruleset}: its declarations, then each of its sets and maps. */
    public static List<Step> cycle(Ruleset ruleset) {
        List<Step> steps = new ArrayList<>(1 + ruleset.sets().size() + ruleset.maps().size());
        steps.add(Step.DECLARATIONS);
        steps.addAll(objects(ruleset));
        return steps;
    }

    /** One step per set and map of {@code ruleset}. */
    public static List<Step> objects(Ruleset ruleset) {
        List<Step> steps = new ArrayList<>(ruleset.sets().size() + ruleset.maps().size());
        ruleset.sets().forEach(s -> steps.add(Step.set(s.name())));
        ruleset.maps().forEach(m -> steps.add(Step.map(m.name())));
        return steps;
    }

    /**
     * Reads what {@code step} covers and lists how it differs from {@code desired}; empty when it agrees, or when
     * {@code desired} has no such set or map any more (not read).
     *
     * @throws ApplyException when it cannot be listed or parsed
     */
    public Drift check(Step step, Ruleset desired) throws ApplyException {
        return switch (step.kind()) {
            case DECLARATIONS -> {
                TableState actual = TableState.readBack(reader.readDeclarations());
                if (desired != wanted) {
                    RulesetDiff.checkTable(desired);
                    // takes over the chains of the last one that are equal, with their digests computed
                    want = TableState.committed(desired, want, reader.ruleExpressions(desired));
                    wanted = desired;
                }
                yield Drift.ofDeclarations(actual, desired, want);
            }
            case SET -> {
                Optional<NamedSet> model = desired.sets().stream().filter(s -> s.name().equals(step.name())).findFirst();
                yield model.isEmpty() ? new Drift(List.of()) : Drift.ofSet(reader.readSet(step.name()), model.get());
            }
            case MAP -> {
                Optional<VerdictMap> model = desired.maps().stream().filter(m -> m.name().equals(step.name()))
                        .findFirst();
                yield model.isEmpty() ? new Drift(List.of()) : Drift.ofMap(reader.readMap(step.name()), model.get());
            }
        };
    }
}
