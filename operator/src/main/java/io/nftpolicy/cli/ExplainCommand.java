package io.nftpolicy.cli;

import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.explain.Connection;
import io.nftpolicy.explain.AuditReport;
import io.nftpolicy.explain.ConnectionExplainer;
import io.nftpolicy.explain.ConnectionText;
import io.nftpolicy.explain.InvalidEndException;
import io.nftpolicy.explain.KernelRuleCounters;
import io.nftpolicy.explain.Party;
import io.nftpolicy.explain.RuleCounters;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.CounterReadings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code nftpolicy explain}: what the compiled rulesets of a snapshot do with a connection, and why; or, for audit,
 * who may open a connection to whom. Nothing is loaded into a kernel: each node's compiled ruleset is evaluated the
 * way its kernel would evaluate it (io.nftpolicy.explain), rule by rule.
 */
@Command(
        name = "explain",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Explain what the compiled rulesets of a snapshot do with a new connection, and why.",
                "With --from and --to: the verdict, each node's table on the way (egress on the source's node, "
                        + "ingress on the destination's), and every rule the first packet meets, with why it "
                        + "matched or not and the policy, rule and peer that allowed it, or the policies that isolate "
                        + "the pod that dropped it.",
                "With --namespace or --all: who may open a connection to whom, as tables like sandbox prints "
                        + "('.' allowed, 'X' denied, '-' no address of that family). It shows what policy allows, "
                        + "not whether anything listens on the port.",
                "-o text (default), json or yaml; with --namespace or --all also html: the audit report, one "
                        + "self-contained page with a coloured matrix per port whose cells open their traces, and "
                        + "each policy with its compiled rules, and with --node the counters of that node's rules "
                        + "as its kernel holds them (docs/audit.md)."},
        footer = {"", "Examples:",
                "  nftpolicy explain -i cluster.yaml --from dev/frontend --to dev/db -p 6379",
                "  nftpolicy explain -i cluster.yaml --from 172.17.0.5 --to dev/db -p 53/udp --brief",
                "  nftpolicy explain -i cluster.yaml --all -p 6379,5978 -o json",
                "  nftpolicy explain -i cluster.yaml --all -p 6379,5978 -o html --output-file audit.html",
                "  sudo nftpolicy explain -i cluster.yaml --all -p 6379 -o html --node node-1 > audit.html",
                "", "Exit status:",
                "  0  --from/--to: every connection asked about is allowed; matrix: done",
                "  1  --from/--to: at least one connection is denied",
                "  2  usage error, unusable input, an unknown pod or a bad port",
                "  3  internal error"})
final class ExplainCommand implements Callable<Integer> {
    /** A denied connection; the same number as sandbox's and verify's "differs". */
    static final int DENIED = ExitCodes.DIFFERENT;

    private final Main.Context context;

    @Spec
    CommandSpec spec;

    @Mixin
    InputOption input;

    @Option(names = "--from", paramLabel = "NS/POD|IP",
            description = "Where the connection starts: a pod (namespace/name) or an address. Needs --to.")
    String from;

    @Option(names = "--to", paramLabel = "NS/POD|IP",
            description = "Where it goes: a pod (namespace/name) or an address. Needs --from.")
    String to;

    @Option(names = "--namespace", paramLabel = "NS", split = ",",
            description = "Instead of --from/--to: a matrix of the pods of these namespaces (repeatable, or "
                    + "comma-separated).")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--all", description = "Instead of --from/--to: a matrix of every pod of the snapshot.")
    boolean all;

    @Option(names = {"-p", "--port"}, required = true, paramLabel = "PORT[/PROTO]", split = ",",
            converter = PortConverter.class,
            description = "The destination port of the connection: a number, optionally /tcp, /udp or /sctp "
                    + "(default tcp). Several, comma-separated, give one answer (or table) each.")
    List<Endpoint> ports;

    @Mixin
    BriefOption brief;

    @Option(names = "--node", paramLabel = "NODE",
            description = "With -o html: read the counters of table inet nftpolicy in this network namespace (or "
                    + "--netns), which 'nftpolicy apply' loaded for node NODE from the same snapshot, and show each "
                    + "of that node's rules with its packets and bytes. Needs root and libnftables.")
    String counterNode;

    @Mixin
    NetnsOption netns;

    /** As given to apply: they decide the rules of the table whose counters --node reads, and so their positions. */
    @Mixin
    EstablishedOption established;

    @Mixin
    DropLogOption dropLogs;

    @Mixin
    OutputOptions output;

    /** Main's factory builds commands it knows with its context; this one only needs the system's. */
    ExplainCommand() {
        this(Main.Context.system());
    }

    ExplainCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        OutputFormat format = checkOptions();
        PrintWriter err = spec.commandLine().getErr();
        Optional<Readings> readings = counterNode == null ? Optional.empty() : Optional.of(readCounters());
        ClusterSnapshot snapshot = SnapshotInput.load(input.file, context.stdin(), err).snapshot();
        Rulesets rulesets = new Rulesets(snapshot, err);
        ConnectionExplainer explainer = new ConnectionExplainer(snapshot, rulesets::of);
        List<Endpoint> endpoints = sorted(ports);
        return from != null ? pair(explainer, endpoints, format)
                : matrix(explainer, endpoints, format, snapshot, rulesets, readings);
    }

    private int pair(ConnectionExplainer explainer, List<Endpoint> endpoints, OutputFormat format)
            throws UserException {
        Party source = party(explainer, "--from", from);
        Party destination = party(explainer, "--to", to);
        List<Connection> connections = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            try {
                connections.addAll(explainer.explain(source, destination, endpoint.protocol(), endpoint.port()));
            } catch (InvalidEndException e) {
                throw new UserException(e.getMessage(), e);
            }
        }
        if (format == OutputFormat.TEXT) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < connections.size(); i++) {
                text.append(i == 0 ? "" : "\n").append(ConnectionText.render(connections.get(i), !brief.on));
            }
            output.print(text.toString());
        } else {
            output.print(ExplainJson.connections(connections, !brief.on), format);
        }
        return connections.stream().allMatch(Connection::allowed) ? ExitCodes.OK : DENIED;
    }

    private int matrix(ConnectionExplainer explainer, List<Endpoint> endpoints, OutputFormat format,
                       ClusterSnapshot snapshot, Rulesets rulesets, Optional<Readings> readings)
            throws UserException {
        Set<String> selected = new LinkedHashSet<>(namespaces);
        List<Party> pods = explainer.pods(ns -> all || selected.contains(ns));
        if (pods.isEmpty()) {
            throw new UserException(all ? "no pod of the snapshot runs on a node with an address"
                    : "no pod of namespace " + String.join(", ", selected) + " runs on a node with an address "
                            + "(hostNetwork and finished pods are left out)");
        }
        Map<Reachability.Cell, Connection> cells = explainer.matrix(pods, endpoints);
        switch (format) {
            case TEXT -> {
                Map<Reachability.Cell, Boolean> allowed = new LinkedHashMap<>();
                cells.forEach((cell, connection) -> allowed.put(cell, connection.allowed()));
                output.print(new Reachability(allowed).render());
            }
            case HTML -> {
                Map<String, Ruleset> byNode = new LinkedHashMap<>(rulesets.ofEveryNode());
                RuleCounters counters = RuleCounters.NONE;
                if (readings.isPresent()) {
                    PrintWriter err = spec.commandLine().getErr();
                    NodeRuleset.warnIfNodeUnknown(snapshot, counterNode, err);
                    // The node's rules as apply loaded them, counters included: the kernel's positions are theirs.
                    Ruleset enforced = NodeRuleset.enforced(rulesets.of(counterNode), snapshot, established,
                            dropLogs.options());
                    byNode.put(counterNode, enforced);
                    KernelRuleCounters read = KernelRuleCounters.of(readings.get().origin(), counterNode, enforced,
                            readings.get().counters());
                    read.warnings().forEach(w -> Messages.warning(err, w));
                    counters = read;
                }
                output.print(AuditReport.html(new AuditReport.Input(title(), pods, cells,
                        policies(snapshot, selected), byNode, !brief.on, counters)));
            }
            default -> output.print(ExplainJson.matrix(pods, cells), format);
        }
        return ExitCodes.OK;
    }

    /** The counters of the applied table, and where and when they were read. */
    private record Readings(CounterReadings counters, String origin) {}

    /** Read before the snapshot is compiled, so that a command that cannot read them says so first. */
    private Readings readCounters() throws UserException {
        try (Kernel kernel = Kernel.open(context.host(), "explain", netns.name, false)) {
            Optional<CounterReadings> counters;
            try {
                counters = kernel.readCounters();
            } catch (ApplyException e) {
                throw NodeTableCommand.readBackFailed(kernel, e);
            }
            if (counters.isEmpty()) {
                throw new UserException("--node " + counterNode + ": no table inet nftpolicy in " + kernel.where()
                        + " to read counters from ('nftpolicy apply' loads it)");
            }
            return new Readings(counters.get(), "node " + counterNode + " (table inet nftpolicy of " + kernel.where()
                    + ") at " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
        }
    }

    private String title() {
        return SnapshotInput.STDIN.equals(input.file) ? "standard input" : Path.of(input.file).getFileName().toString();
    }

    /**
     * The policies the report lists: with --namespace those of its namespaces (a policy of another namespace that
     * decides a cell is named in the cell's trace), and the cluster-scoped ones, which may select any pod.
     */
    private List<String> policies(ClusterSnapshot snapshot, Set<String> namespaces) {
        List<String> refs = new ArrayList<>();
        snapshot.policies().stream().filter(p -> all || namespaces.contains(p.namespace())).forEach(p -> refs.add(p.ref()));
        snapshot.clusterPolicies().forEach(p -> refs.add(p.ref()));
        return refs;
    }

    /** One connection or one matrix, said one way; the format asked for. */
    private OutputFormat checkOptions() {
        OutputFormat format = output.format(OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML,
                OutputFormat.HTML);
        boolean pair = from != null || to != null;
        boolean matrix = all || !namespaces.isEmpty();
        String problem = null;
        if (pair && matrix) {
            problem = "--from/--to explain one connection, --namespace/--all make a matrix: give one or the other";
        } else if (!pair && !matrix) {
            problem = "say what to explain: --from and --to, or --namespace NS, or --all";
        } else if (pair && (from == null || to == null)) {
            problem = from == null ? "--to needs --from" : "--from needs --to";
        } else if (all && !namespaces.isEmpty()) {
            problem = "--all already takes every namespace: give --namespace or --all";
        } else if (counterNode != null && format != OutputFormat.HTML) {
            problem = "--node reads a node's counters for the audit report: it needs -o html";
        } else if (netns.name != null && counterNode == null) {
            problem = "--netns says where to read a node's counters: it needs --node";
        } else if (pair && format == OutputFormat.HTML) {
            problem = "-o html is the audit report of a matrix: give --all or --namespace (--from/--to print text, "
                    + "json or yaml)";
        }
        if (problem != null) {
            throw new ParameterException(spec.commandLine(), problem);
        }
        return format;
    }

    private static Party party(ConnectionExplainer explainer, String option, String text) throws UserException {
        try {
            return explainer.party(text);
        } catch (InvalidEndException e) {
            throw new UserException(option + ": " + e.getMessage(), e);
        }
    }

    /** Each node's ruleset compiled once, when first needed; problems of the snapshot are warned about once. */
    private static final class Rulesets {
        private final ClusterSnapshot snapshot;
        private final PrintWriter err;
        private final PolicyCompiler compiler = new PolicyCompiler();
        private final Set<String> warned = new LinkedHashSet<>();
        private final Map<String, Ruleset> compiled = new HashMap<>();

        Rulesets(ClusterSnapshot snapshot, PrintWriter err) {
            this.snapshot = snapshot;
            this.err = err;
        }

        Ruleset of(String node) {
            return compiled.computeIfAbsent(node, n -> {
                Compilation compilation = compiler.compile(snapshot, n);
                compilation.diagnostics().stream().map(Diagnostic::format).filter(warned::add)
                        .forEach(d -> Messages.warning(err, d));
                return compilation.ruleset();
            });
        }

        /** The ruleset of every node a pod runs on or the snapshot lists, by name. */
        Map<String, Ruleset> ofEveryNode() {
            Set<String> nodes = new TreeSet<>();
            snapshot.pods().stream().map(p -> p.nodeName()).filter(n -> !n.isEmpty()).forEach(nodes::add);
            snapshot.nodes().forEach(n -> nodes.add(n.name()));
            Map<String, Ruleset> rulesets = new LinkedHashMap<>();
            nodes.forEach(n -> rulesets.put(n, of(n)));
            return rulesets;
        }
    }

    /** In sandbox's order, so that the tables compare with its output line by line. */
    private static List<Endpoint> sorted(List<Endpoint> endpoints) {
        Set<Endpoint> set = new TreeSet<>(Comparator.comparing(Endpoint::protocol).thenComparing(Endpoint::port));
        set.addAll(endpoints);
        return List.copyOf(set);
    }

    /** {@code 80}, {@code 80/udp}, or sandbox's {@code UDP/80}; protocols case-insensitive, tcp by default. */
    static final class PortConverter implements ITypeConverter<Endpoint> {
        private static final Pattern NUMBER_FIRST = Pattern.compile("\\s*(\\d+)/([A-Za-z]+)\\s*");

        @Override
        public Endpoint convert(String value) {
            Matcher numberFirst = NUMBER_FIRST.matcher(value);
            if (!numberFirst.matches()) {
                return new EndpointConverter().convert(value);
            }
            String swapped = numberFirst.group(2) + "/" + numberFirst.group(1);
            try {
                return new EndpointConverter().convert(swapped);
            } catch (TypeConversionException e) {
                throw new TypeConversionException(e.getMessage().replace("'" + swapped + "'", "'" + value.strip() + "'"));
            }
        }
    }
}
