package io.nftpolicy.cli;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.explain.Connection;
import io.nftpolicy.explain.ConnectionExplainer;
import io.nftpolicy.explain.ConnectionText;
import io.nftpolicy.explain.InvalidEndException;
import io.nftpolicy.explain.Party;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
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
                        + "not whether anything listens on the port."},
        footer = {"", "Examples:",
                "  nftpolicy explain -i cluster.yaml --from dev/frontend --to dev/db -p 6379",
                "  nftpolicy explain -i cluster.yaml --from 172.17.0.5 --to dev/db -p 53/udp --brief",
                "  nftpolicy explain -i cluster.yaml --all -p 6379,5978 --output json",
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

    @Option(names = "--brief", description = "With --from/--to: only the verdict and what decided it on each node, "
            + "without the rule-by-rule traces.")
    boolean brief;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json.")
    String output;

    /** Main's factory builds commands it knows with its context; this one only needs the system's. */
    ExplainCommand() {
        this(Main.Context.system());
    }

    ExplainCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        checkOptions();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ClusterSnapshot snapshot = SnapshotInput.load(input.file, context.stdin(), err).snapshot();
        ConnectionExplainer explainer = new ConnectionExplainer(snapshot, compiler(snapshot, err));
        List<Endpoint> endpoints = sorted(ports);
        int code = from != null ? pair(explainer, endpoints, out) : matrix(explainer, endpoints, out);
        out.flush();
        return code;
    }

    private int pair(ConnectionExplainer explainer, List<Endpoint> endpoints, PrintWriter out) throws UserException {
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
        if (output.equals("json")) {
            out.println(ExplainJson.connections(connections));
        } else {
            for (int i = 0; i < connections.size(); i++) {
                out.print((i == 0 ? "" : "\n") + ConnectionText.render(connections.get(i), !brief));
            }
        }
        return connections.stream().allMatch(Connection::allowed) ? ExitCodes.OK : DENIED;
    }

    private int matrix(ConnectionExplainer explainer, List<Endpoint> endpoints, PrintWriter out) throws UserException {
        Set<String> selected = new LinkedHashSet<>(namespaces);
        List<Party> pods = explainer.pods(ns -> all || selected.contains(ns));
        if (pods.isEmpty()) {
            throw new UserException(all ? "no pod of the snapshot runs on a node with an address"
                    : "no pod of namespace " + String.join(", ", selected) + " runs on a node with an address "
                            + "(hostNetwork and finished pods are left out)");
        }
        Map<Reachability.Cell, Connection> cells = new LinkedHashMap<>();
        for (Endpoint endpoint : endpoints) {
            for (IpFamily family : IpFamily.values()) {
                for (Party from : pods) {
                    for (Party to : pods) {
                        if (from.address(family).isEmpty() || to.address(family).isEmpty()) {
                            continue;
                        }
                        Connection connection = explainer.explain(from, to, endpoint.protocol(), endpoint.port())
                                .stream().filter(c -> c.packet().family() == family).findFirst().orElseThrow();
                        cells.put(new Reachability.Cell(endpoint, family, from.name(), to.name()), connection);
                    }
                }
            }
        }
        if (output.equals("json")) {
            out.println(ExplainJson.matrix(pods, cells));
        } else {
            Map<Reachability.Cell, Boolean> allowed = new LinkedHashMap<>();
            cells.forEach((cell, connection) -> allowed.put(cell, connection.allowed()));
            out.print(new Reachability(allowed).render());
        }
        return ExitCodes.OK;
    }

    /** One connection or one matrix, said one way. */
    private void checkOptions() {
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
        } else if (!output.equals("text") && !output.equals("json")) {
            problem = "--output must be text or json, got '" + output + "'";
        }
        if (problem != null) {
            throw new ParameterException(spec.commandLine(), problem);
        }
    }

    private static Party party(ConnectionExplainer explainer, String option, String text) throws UserException {
        try {
            return explainer.party(text);
        } catch (InvalidEndException e) {
            throw new UserException(option + ": " + e.getMessage(), e);
        }
    }

    /** Each node's ruleset compiled once, when first needed; problems of the snapshot are warned about once. */
    private static Function<String, Ruleset> compiler(ClusterSnapshot snapshot, PrintWriter err) {
        PolicyCompiler compiler = new PolicyCompiler();
        Set<String> warned = new LinkedHashSet<>();
        return node -> {
            Compilation compilation = compiler.compile(snapshot, node);
            compilation.diagnostics().stream().map(Diagnostic::format).filter(warned::add)
                    .forEach(d -> Messages.warning(err, d));
            return compilation.ruleset();
        };
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
