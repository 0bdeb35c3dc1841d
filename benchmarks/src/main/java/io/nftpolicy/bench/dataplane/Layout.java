package io.nftpolicy.bench.dataplane;

import io.nftpolicy.ruleset.Ruleset;

/**
 * The things measured side by side: four, and (b+), (d), (e), (b') when asked for. All the tables are loaded into a
 * node at once and switched by making all but one dormant (a dormant table's hooks are unregistered, so it costs
 * packets nothing). "No table" cannot be
 * had that way, because any loaded {@code ct} expression keeps connection tracking on in the namespace: it is
 * measured on a twin lab whose nodes never hold a table.
 */
enum Layout {
    NONE("0", "no table", null),
    STATEFUL("a", "ct state established,related accept only", "stateful"),
    COMPILED("b", "compiled by nftpolicy", Ruleset.TABLE),
    /** (b) with ClusterNetworkPolicies, in a table of its own ({@code --cluster-policies}). */
    TIERED("b+", "compiled by nftpolicy, with the ClusterNetworkPolicies", Ruleset.TABLE + "_tiers"),
    /** (b) with the counters of docs/ruleset.md "Counters", in a table of its own ({@code --counters}). */
    COUNTED("d", "compiled by nftpolicy, counting", "nftpolicy_counted"),
    /** (d) with a staged deny-all in each probed namespace ({@code --staged}, {@link StagedDenyAll}). */
    STAGED("e", "compiled by nftpolicy, counting, staged deny-alls", "nftpolicy_staged"),
    /** (b) again, in a table of its own ({@code --twin}): (b')/(b) shows what the method alone gives two equal tables. */
    TWIN("b'", "compiled by nftpolicy, a second copy", "nftpolicy_twin"),
    LINEAR("c", "linear layout (iptables-era)", LinearLayout.TABLE);

    final String letter;
    final String description;
    /** The inet table holding this layout, or null for none. */
    final String table;

    Layout(String letter, String description, String table) {
        this.letter = letter;
        this.description = description;
        this.table = table;
    }

    String label() {
        return "(" + letter + ") " + description;
    }

    /** The physical limit of a stateful filter: every node running kube-proxy or Flannel has conntrack already. */
    static String statefulTable() {
        return "table inet " + STATEFUL.table + " {\n"
                + "\tchain filter-forward {\n"
                + "\t\ttype filter hook forward priority 0; policy accept;\n"
                + "\t\tct state established,related accept\n"
                + "\t}\n"
                + "}\n";
    }

    /** One transaction making this layout's table the only active one; null for {@link #NONE} (no table to wake). */
    String activation() {
        if (table == null) {
            return null;
        }
        StringBuilder script = new StringBuilder();
        for (Layout other : values()) {
            if (other.table != null && other != this) {
                script.append("add table inet ").append(other.table).append(" { flags dormant; }\n");
            }
        }
        // nft sends flags 0 for a table added without flags, which wakes a dormant one.
        script.append("add table inet ").append(table).append('\n');
        return script.toString();
    }
}
