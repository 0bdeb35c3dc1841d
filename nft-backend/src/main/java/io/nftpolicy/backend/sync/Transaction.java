package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.sync.NftObject.Element;
import io.nftpolicy.backend.sync.NftObject.Verb;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An ordered list of operations, each a verb on an object of nftpolicy's one table, {@code inet nftpolicy}, sent to
 * the kernel as one nftables transaction: all of it applies, or none of it does (as knftables' {@code Transaction}).
 *
 * <p>Nothing here can name another table, and no operation deletes or flushes the table: the table and its base
 * chains stay registered for the life of the node, so there is never a moment without filtering.
 *
 * <p>{@link #render()} prints the {@code nft -f} script ({@link TransactionText}), exactly as {@code nftpolicy
 * compile} spells rules, elements and comments.
 *
 * <p>{@link #operations()} counts as knftables' {@code NumOperations()} does: one per object touched, each element
 * and each rule counting as one; it says whether there is anything to send and feeds metrics.
 *
 * <p>Not thread-safe: built by one thread, then run.
 */
public final class Transaction {
    private final List<Operation> operations = new ArrayList<>();
    /** The script, once rendered and until the next operation: the executor and the byte count share it. */
    private String rendered;

    /** One verb on one object. */
    public record Operation(Verb verb, NftObject object) {
        public Operation {
            Objects.requireNonNull(verb, "verb");
            Objects.requireNonNull(object, "object");
            if (!object.verbs().contains(verb)) {
                throw new IllegalArgumentException("cannot " + verb.nft() + " " + object.kind() + " " + object
                        + ": only " + object.verbs());
            }
        }
    }

    /**
     * What a transaction does, for reporting. Sets include verdict maps; elements include map elements; a set
     * declared anew (type changed) counts as removed and added, as does a chain recreated.
     *
     * @param chainsChanged chains flushed and refilled
     * @param rulesWritten  rules added, to new chains and to flushed ones
     */
    public record Counts(int setsAdded, int setsRemoved, int elementsAdded, int elementsRemoved, int chainsAdded,
                         int chainsChanged, int chainsRemoved, int rulesWritten) {
        static final Counts NONE = new Counts(0, 0, 0, 0, 0, 0, 0, 0);

        Counts plus(Counts o) {
            return new Counts(setsAdded + o.setsAdded, setsRemoved + o.setsRemoved, elementsAdded + o.elementsAdded,
                    elementsRemoved + o.elementsRemoved, chainsAdded + o.chainsAdded, chainsChanged + o.chainsChanged,
                    chainsRemoved + o.chainsRemoved, rulesWritten + o.rulesWritten);
        }
    }

    /** Creates {@code object} if absent (appends a rule or element). */
    public Transaction add(NftObject object) {
        return append(new Operation(Verb.ADD, object));
    }

    /** Creates {@code object}; the transaction fails if it exists. */
    public Transaction create(NftObject object) {
        return append(new Operation(Verb.CREATE, object));
    }

    /** Empties a chain, set or map, which stays in place (a base chain stays on its hook). */
    public Transaction flush(NftObject object) {
        return append(new Operation(Verb.FLUSH, object));
    }

    /** Deletes {@code object}; nothing may refer to it any more. */
    public Transaction delete(NftObject object) {
        return append(new Operation(Verb.DELETE, object));
    }

    /** Puts a rule first in its chain. */
    public Transaction insert(NftObject.Rule rule) {
        return append(new Operation(Verb.INSERT, rule));
    }

    /** Appends any operation. */
    public Transaction append(Operation operation) {
        operations.add(Objects.requireNonNull(operation, "operation"));
        rendered = null;
        return this;
    }

    // The model's objects, as the diff sends them.

    public Transaction addTable(String comment) {
        return add(new NftObject.Table(comment));
    }

    /** Declares a set as {@code set} describes it; its elements are not added (see {@link #addElements}). */
    public Transaction addSet(NamedSet set) {
        return add(NftObject.Set.of(set));
    }

    /** Declares a verdict map as {@code map} describes it; its elements are not added. */
    public Transaction addMap(VerdictMap map) {
        return add(NftObject.Map.of(map));
    }

    public Transaction addElements(String set, List<SetElement> elements) {
        elements.forEach(e -> add(Element.of(set, e)));
        return this;
    }

    public Transaction addMapElements(String map, List<MapElement> elements) {
        elements.forEach(e -> add(Element.of(map, e)));
        return this;
    }

    /** Deletes elements of a set or map by key (an interval set's key is the whole interval). */
    public Transaction deleteElements(String container, List<List<KeyPart>> keys) {
        keys.forEach(k -> delete(Element.key(container, k)));
        return this;
    }

    public Transaction addChain(String name, Optional<BaseHook> hook, String comment) {
        return add(new NftObject.Chain(name, hook, comment));
    }

    public Transaction flushChain(String name) {
        return flush(NftObject.Chain.named(name));
    }

    public Transaction addRule(String chain, Rule rule) {
        return add(new NftObject.Rule(chain, rule));
    }

    public Transaction deleteChain(String name) {
        return delete(NftObject.Chain.named(name));
    }

    public Transaction deleteSet(String name) {
        return delete(NftObject.Set.named(name));
    }

    public Transaction deleteMap(String name) {
        return delete(NftObject.Map.named(name));
    }

    /** Deletes an object of the table by kind: {@code delete KIND inet nftpolicy NAME}. */
    public Transaction deleteObject(String kind, String name) {
        return switch (kind) {
            case "chain" -> deleteChain(name);
            case "set" -> deleteSet(name);
            case "map" -> deleteMap(name);
            default -> delete(new NftObject.Foreign(kind, name));
        };
    }

    /** The operations, in the order they are sent. */
    public List<Operation> steps() {
        return Collections.unmodifiableList(operations);
    }

    /** Number of operations: one per element, per rule and per other object touched (knftables' NumOperations). */
    public int operations() {
        return operations.size();
    }

    public boolean isEmpty() {
        return operations.isEmpty();
    }

    /** The nft commands, one per line, in order ({@link TransactionText}). */
    public List<String> commands() {
        return TransactionText.commands(this);
    }

    /** The {@code nft -f} script: one command per line, each ended by a newline; empty when there is nothing to do. */
    public String render() {
        String r = rendered;
        if (r == null) {
            r = TransactionText.render(this);
            rendered = r;
        }
        return r;
    }

    /** The size of {@link #render()} in bytes. */
    public long renderedBytes() {
        return render().getBytes(StandardCharsets.UTF_8).length;
    }

    public Counts counts() {
        int setsAdded = 0;
        int setsRemoved = 0;
        int elementsAdded = 0;
        int elementsRemoved = 0;
        int chainsAdded = 0;
        int chainsChanged = 0;
        int chainsRemoved = 0;
        int rules = 0;
        for (Operation op : operations) {
            NftObject o = op.object();
            boolean adds = op.verb() == Verb.ADD || op.verb() == Verb.CREATE || op.verb() == Verb.INSERT;
            boolean deletes = op.verb() == Verb.DELETE;
            if (o instanceof NftObject.Set || o instanceof NftObject.Map) {
                setsAdded += adds ? 1 : 0;
                setsRemoved += deletes ? 1 : 0;
            } else if (o instanceof Element) {
                elementsAdded += adds ? 1 : 0;
                elementsRemoved += deletes ? 1 : 0;
            } else if (o instanceof NftObject.Chain) {
                chainsAdded += adds ? 1 : 0;
                chainsChanged += op.verb() == Verb.FLUSH ? 1 : 0;
                chainsRemoved += deletes ? 1 : 0;
            } else if (o instanceof NftObject.Rule) {
                rules++;
            }
        }
        return new Counts(setsAdded, setsRemoved, elementsAdded, elementsRemoved, chainsAdded, chainsChanged,
                chainsRemoved, rules);
    }

    /**
     * Cuts a transaction that creates a table from nothing into transactions of at most {@code maxOperations}
     * each, so that none holds the nfnetlink lock for long, in an order under which no pod is ever partially
     * filtered:
     * <ol>
     *   <li>the table, the set and map declarations and the set elements (elements may be cut across
     *       transactions: no rule uses a set yet);</li>
     *   <li>the regular chains, each with all its rules in one transaction (never cut); nothing jumps to them
     *       yet;</li>
     *   <li>the dispatch-map elements, all elements of one pod (both directions, both families, as named by the
     *       element comment) in one transaction; no base chain looks the maps up yet;</li>
     *   <li>last, the base chains, all of them in one transaction with their rules: the hooks register, and every
     *       pod is filtered at once, completely.</li>
     * </ol>
     * So a kill or a refusal between two parts leaves a table that filters nothing (no hook), and the first packet
     * filtered meets the whole ruleset. Base chains used to come with the regular chains, before the dispatch
     * elements: a base chain's {@code jump flow-stamp} (established flows) then named a chain of a later part and
     * the kernel refused the cold start ({@code ApplyKillKernelTest} found it), and flows passing before their pod's
     * dispatch element would have been stamped as judged by the rules in force. A unit larger than the limit (a
     * chain with more rules than {@code maxOperations}) goes alone into a transaction of its own.
     *
     * @throws IllegalStateException if the transaction deletes or flushes anything: only a creation may be cut
     */
    public List<Transaction> splitForColdStart(int maxOperations) {
        if (maxOperations < 1) {
            throw new IllegalArgumentException("maxOperations must be positive: " + maxOperations);
        }
        List<List<Operation>> declarations = new ArrayList<>();
        Map<String, List<Operation>> chains = new LinkedHashMap<>();
        Set<String> baseChains = new HashSet<>();
        Map<String, List<Operation>> pods = new LinkedHashMap<>();
        for (Operation op : operations) {
            NftObject o = op.object();
            if (op.verb() != Verb.ADD) {
                throw new IllegalStateException("only a creation can be split, not " + TransactionText.command(op));
            }
            if (o instanceof NftObject.Table || o instanceof NftObject.Set || o instanceof NftObject.Map
                    || o instanceof Element e && e.jump().isEmpty()) {
                declarations.add(List.of(op));
            } else if (o instanceof NftObject.Chain chain) {
                chains.computeIfAbsent(chain.name(), n -> new ArrayList<>()).add(0, op);
                if (chain.hook().isPresent()) {
                    baseChains.add(chain.name());
                }
            } else if (o instanceof NftObject.Rule rule) {
                chains.computeIfAbsent(rule.chain(), n -> new ArrayList<>()).add(op);
            } else if (o instanceof Element e) {
                String pod = e.comment().isEmpty() ? e.container() + " " + e.keyText() : e.comment();
                pods.computeIfAbsent(pod, p -> new ArrayList<>()).add(op);
            } else {
                throw new IllegalStateException("only a creation can be split, not " + TransactionText.command(op));
            }
        }
        List<List<Operation>> units = new ArrayList<>(declarations);
        List<Operation> hooked = new ArrayList<>();
        chains.forEach((name, unit) -> {
            if (baseChains.contains(name)) {
                hooked.addAll(unit);
            } else {
                units.add(unit);
            }
        });
        units.addAll(pods.values());
        if (!hooked.isEmpty()) {
            units.add(hooked);
        }

        List<Transaction> out = new ArrayList<>();
        Transaction current = new Transaction();
        for (List<Operation> unit : units) {
            if (!current.isEmpty() && current.operations() + unit.size() > maxOperations) {
                out.add(current);
                current = new Transaction();
            }
            unit.forEach(current::append);
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /**
     * This transaction as two: first the objects it creates that nothing refers to yet (new sets with their
     * elements, new regular chains with their rules, the table if it creates that too); then everything else,
     * which switches references to them. Empty when it creates none of these.
     *
     * <p>Why: on kernel 6.18 an object created in the same transaction as the reference that makes packets reach
     * it can become visible a moment after the reference: a rule with a new interval set it looks up missed
     * packets the set should match, and a dispatch element moved to a new chain let a packet through that the
     * chain drops ({@code PortRangeRefillKernelTest} and {@code ApplyUnderTrafficKernelTest} saw both). Objects
     * committed beforehand, unreferenced, change no verdict, so this split costs one more round trip and opens no
     * gap. Sets and chains declared anew in place (deleted and added again) stay in the second transaction. A new
     * verdict map goes first too, with its elements but those that jump to a chain this transaction deletes: a new
     * chain may look it up (ClusterNetworkPolicy's map of what follows the Admin tier).
     */
    public Optional<List<Transaction>> splitNewObjectsFirst() {
        Set<String> deletedSets = new HashSet<>();
        Set<String> deletedChains = new HashSet<>();
        Set<String> addedSets = new HashSet<>();
        for (Operation op : operations) {
            if (op.verb() == Verb.DELETE && op.object() instanceof NftObject.Set s) {
                deletedSets.add(s.name());
            } else if (op.verb() == Verb.DELETE && op.object() instanceof NftObject.Chain c) {
                deletedChains.add(c.name());
            } else if (op.verb() == Verb.ADD && op.object() instanceof NftObject.Set s) {
                addedSets.add(s.name());
            } else if (op.verb() == Verb.DELETE && op.object() instanceof NftObject.Map m) {
                deletedSets.add(m.name());
            } else if (op.verb() == Verb.ADD && op.object() instanceof NftObject.Map m) {
                addedSets.add(m.name());
            }
        }
        Set<String> newSets = new HashSet<>(addedSets);
        newSets.removeAll(deletedSets);
        Set<String> newChains = new HashSet<>();
        for (Operation op : operations) {
            if (op.verb() == Verb.ADD && op.object() instanceof NftObject.Chain add && add.hook().isEmpty()
                    && !deletedChains.contains(add.name())) {
                newChains.add(add.name());
            }
        }
        if (deletedSets.stream().anyMatch(addedSets::contains)) {
            // A set declared anew in place: a new chain may look it up, so chains wait for the main transaction.
            newChains.clear();
        }
        if (newSets.isEmpty() && newChains.isEmpty()) {
            return Optional.empty();
        }
        Transaction created = new Transaction();
        Transaction rest = new Transaction();
        for (Operation op : operations) {
            NftObject o = op.object();
            boolean unreferenced = op.verb() == Verb.ADD && (o instanceof NftObject.Table
                    || (o instanceof NftObject.Set s && newSets.contains(s.name()))
                    || (o instanceof NftObject.Map m && newSets.contains(m.name()))
                    || (o instanceof Element e && newSets.contains(e.container())
                            && e.jump().map(c -> !deletedChains.contains(c)).orElse(true))
                    || (o instanceof NftObject.Chain c && newChains.contains(c.name()))
                    || (o instanceof NftObject.Rule r && newChains.contains(r.chain())));
            (unreferenced ? created : rest).append(op);
        }
        return Optional.of(rest.isEmpty() ? List.of(created) : List.of(created, rest));
    }

    @Override
    public String toString() {
        return render();
    }
}
