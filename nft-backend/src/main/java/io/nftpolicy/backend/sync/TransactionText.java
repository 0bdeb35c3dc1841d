package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.sync.NftObject.Element;
import io.nftpolicy.backend.sync.Transaction.Operation;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Transaction} as the {@code nft -f} script libnftables runs: {@code VERB KIND inet nftpolicy ...}, one
 * command per line, each object written by its own {@link NftObject#write}. Consecutive operations with one verb on
 * elements of one set or map are batched into one command of at most {@value #MAX_ELEMENTS_PER_COMMAND} elements and
 * about {@value #MAX_COMMAND_BYTES} bytes.
 */
public final class TransactionText {
    /** Most elements one {@code add element}/{@code delete element} command carries. */
    public static final int MAX_ELEMENTS_PER_COMMAND = 1000;
    /** Size past which an element command is cut, so that no command line grows without bound. */
    public static final int MAX_COMMAND_BYTES = 64 * 1024;

    private static final String TABLE = Ruleset.FAMILY + " " + Ruleset.TABLE;

    private TransactionText() {}

    /** The script: one command per line, each ended by a newline; empty for an empty transaction. */
    public static String render(Transaction tx) {
        StringBuilder out = new StringBuilder();
        for (String command : commands(tx)) {
            out.append(command).append('\n');
        }
        return out.toString();
    }

    /** The commands, in order. */
    public static List<String> commands(Transaction tx) {
        return lines(tx).stream().map(Line::text).toList();
    }

    /** The command that carries operation {@code index} of {@code tx} (its batch, for an element). */
    public static String commandOf(Transaction tx, int index) {
        for (Line line : lines(tx)) {
            if (index < line.endOperation()) {
                return line.text();
            }
        }
        throw new IndexOutOfBoundsException("operation " + index + " of " + tx.operations());
    }

    /** One command, and the operations it carries: up to {@code endOperation}, exclusive. */
    private record Line(String text, int endOperation) {}

    private static List<Line> lines(Transaction tx) {
        List<Line> out = new ArrayList<>();
        List<Operation> ops = tx.steps();
        StringBuilder batch = null;
        Operation batched = null;
        int inBatch = 0;
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            if (!(op.object() instanceof Element element)) {
                if (batch != null) {
                    out.add(new Line(batch.append(" }").toString(), i));
                    batch = null;
                }
                out.add(new Line(command(op), i + 1));
                continue;
            }
            String text = element.write(op.verb());
            boolean sameBatch = batch != null && batched.verb() == op.verb()
                    && ((Element) batched.object()).container().equals(element.container())
                    && inBatch < MAX_ELEMENTS_PER_COMMAND && batch.length() + text.length() + 4 <= MAX_COMMAND_BYTES;
            if (sameBatch) {
                batch.append(", ").append(text);
                inBatch++;
            } else {
                if (batch != null) {
                    out.add(new Line(batch.append(" }").toString(), i));
                }
                batch = new StringBuilder(op.verb().nft()).append(" element ").append(TABLE).append(' ')
                        .append(element.container()).append(" { ").append(text);
                batched = op;
                inBatch = 1;
            }
        }
        if (batch != null) {
            out.add(new Line(batch.append(" }").toString(), ops.size()));
        }
        return out;
    }

    /** One operation on its own: {@code VERB KIND inet nftpolicy ...}. */
    static String command(Operation op) {
        NftObject o = op.object();
        if (o instanceof Element element) {
            return op.verb().nft() + " element " + TABLE + " " + element.container() + " { " + element.write(op.verb())
                    + " }";
        }
        return op.verb().nft() + " " + o.kind() + " " + TABLE + o.write(op.verb());
    }
}
