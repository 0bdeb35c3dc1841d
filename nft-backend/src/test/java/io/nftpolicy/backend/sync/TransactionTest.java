package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.backend.sync.NftObject.Verb;
import io.nftpolicy.backend.sync.Transaction.Operation;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.Rule;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransactionTest {

    @Test
    void countsEveryElementAndRuleAsOneOperation() {
        Transaction tx = new Transaction()
                .add(Keys.element("s", "10.0.0.1", ""))
                .add(Keys.element("s", "10.0.0.2", ""))
                .addChain("c", Optional.empty(), "")
                .addRule("c", Rule.of("drop", ""))
                .delete(Keys.key("m", "10.0.0.3"));

        assertThat(tx.operations()).isEqualTo(5);
        assertThat(tx.counts()).isEqualTo(new Transaction.Counts(0, 0, 2, 1, 1, 0, 0, 1));
        assertThat(new Transaction().isEmpty()).isTrue();
        assertThat(new Transaction().render()).isEmpty();
    }

    @Test
    void theTableCanBeNeitherDeletedNorFlushed() {
        assertThatThrownBy(() -> new Transaction().delete(new NftObject.Table("")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot delete table");
        assertThatThrownBy(() -> new Transaction().flush(new NftObject.Table("")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot flush table");
    }

    @Test
    void eachObjectTakesOnlyTheVerbsNftHasForIt() {
        assertThatThrownBy(() -> new Operation(Verb.FLUSH, new NftObject.Rule("c", Rule.of("drop", ""))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot flush rule");
        assertThatThrownBy(() -> new Operation(Verb.INSERT, Keys.element("s", "10.0.0.1", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot insert element");
        assertThatThrownBy(() -> new Operation(Verb.ADD, new NftObject.Foreign("flowtable", "f")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NftObject.Foreign("table", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSetOrMapNamedOnlyCannotBeDeclared() {
        assertThatThrownBy(() -> new Transaction().add(NftObject.Set.named("s")).render())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("set s: no key type");
        assertThat(new Transaction().add(new NftObject.Set("s", List.of(KeyType.MARK), false, "")).operations())
                .isEqualTo(1);
    }

    @Test
    void onlyACreationCanBeSplit() {
        Transaction tx = new Transaction().addTable("").flushChain("c");

        assertThatThrownBy(() -> tx.splitForColdStart(10)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("flush chain inet nftpolicy c");
    }

    @Test
    void aNewMapGoesFirstWithTheNewChainThatLooksItUpAndTheElementsThatJumpToChainsThatStay() {
        Transaction tx = new Transaction()
                .addMap(new io.nftpolicy.ruleset.VerdictMap("next-v4", KeyType.IPV4_ADDR, "", List.of()))
                .deleteChain("old")
                .addChain("uses", Optional.empty(), "")
                .addRule("uses", Rule.of("ip daddr vmap @next-v4", ""))
                .addMapElements("next-v4", List.of(
                        new io.nftpolicy.ruleset.MapElement(io.nftpolicy.net.IpAddress.parse("10.0.0.1"), "uses", ""),
                        new io.nftpolicy.ruleset.MapElement(io.nftpolicy.net.IpAddress.parse("10.0.0.2"), "old", "")));

        List<Transaction> split = tx.splitNewObjectsFirst().orElseThrow();

        assertThat(split).hasSize(2);
        assertThat(split.get(0).commands()).hasSize(4).noneMatch(c -> c.contains("old"));
        assertThat(split.get(1).commands()).hasSize(2).allMatch(c -> c.contains("old"));
    }
}
