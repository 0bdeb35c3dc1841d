package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.explain.Connection.Hop;
import io.nftpolicy.explain.Connection;
import io.nftpolicy.explain.ConnectionText;
import io.nftpolicy.explain.Party;
import io.nftpolicy.explain.Trace.ChainRun;
import io.nftpolicy.explain.Trace.Check;
import io.nftpolicy.explain.Trace.RuleRun;
import io.nftpolicy.explain.Trace;
import io.nftpolicy.explain.TraceText;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * explain's answers for machines. Field order is fixed and there are no timestamps, so equal answers are equal
 * text. The schema is in docs/explain.md.
 */
final class ExplainJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ExplainJson() {}

    /** {@code {"connections": [...]}}, each with its hops and, {@code withTraces}, their full traces. */
    static ObjectNode connections(List<Connection> connections, boolean withTraces) {
        ObjectNode root = JSON.objectNode();
        ArrayNode array = root.putArray("connections");
        connections.forEach(c -> array.add(connection(c, withTraces)));
        return root;
    }

    /** {@code {"pods": [...], "cells": [...]}}, each cell a connection with its hops' decisions, without traces. */
    static ObjectNode matrix(List<Party> pods, Map<Reachability.Cell, Connection> cells) {
        ObjectNode root = JSON.objectNode();
        ArrayNode names = root.putArray("pods");
        pods.forEach(p -> names.add(p.name()));
        ArrayNode array = root.putArray("cells");
        cells.values().forEach(c -> array.add(connection(c, false)));
        return root;
    }

    private static ObjectNode connection(Connection c, boolean withTrace) {
        ObjectNode node = JSON.objectNode();
        node.put("from", c.from().name());
        node.put("to", c.to().name());
        node.put("protocol", c.packet().protocol().name());
        node.put("port", c.packet().port());
        node.put("family", ConnectionText.familyLabel(c.packet().family()));
        node.put("allowed", c.allowed());
        node.set("source", end(c.from(), c.packet().source()));
        node.set("destination", end(c.to(), c.packet().destination()));
        c.note().ifPresent(n -> node.put("note", n));
        ArrayNode hops = node.putArray("hops");
        c.hops().forEach(h -> hops.add(hop(h, withTrace)));
        return node;
    }

    private static ObjectNode end(Party party, IpAddress address) {
        ObjectNode node = JSON.objectNode();
        node.put("address", address.toString());
        party.pod().ifPresent(p -> {
            node.put("pod", p.ref());
            node.put("node", p.nodeName());
            node.put("hostNetwork", p.hostNetwork());
        });
        return node;
    }

    private static ObjectNode hop(Hop hop, boolean withTrace) {
        Trace trace = hop.trace();
        ObjectNode node = JSON.objectNode();
        node.put("node", hop.node());
        node.put("role", hop.role());
        node.put("hook", trace.hook().nftName());
        node.put("verdict", trace.verdict().name().toLowerCase(Locale.ROOT));
        node.put("summary", TraceText.summary(trace));
        ArrayNode allowedBy = node.putArray("allowedBy");
        trace.allowances().forEach(a -> {
            ObjectNode allowance = allowedBy.addObject();
            allowance.put("subject", a.subject());
            a.direction().ifPresent(d -> allowance.put("direction", d.field()));
            allowance.put("chain", a.chain());
            allowance.put("rule", a.position());
            allowance.set("sources", sources(a.sources()));
        });
        trace.denial().ifPresent(d -> {
            ObjectNode denial = node.putObject("deniedBy");
            denial.put("subject", d.subject());
            d.direction().ifPresent(dir -> denial.put("direction", dir.field()));
            denial.put("chain", d.chain());
            denial.put("rule", d.position());
            denial.put("comment", d.rule().comment());
            ArrayNode isolatedBy = denial.putArray("isolatedBy");
            d.isolatedBy().forEach(isolatedBy::add);
        });
        if (!trace.staged().isEmpty()) {
            ArrayNode staged = node.putArray("staged");
            trace.staged().forEach(st -> {
                ObjectNode s = staged.addObject();
                ArrayNode policies = s.putArray("policies");
                st.staged().forEach(policies::add);
                s.put("subject", st.subject());
                s.put("direction", st.direction().field());
                s.put("verdict", st.wouldAllow() ? "would-accept" : "would-drop");
                s.put("chain", st.chain());
                s.put("rule", st.position());
                s.set("sources", sources(st.sources()));
                s.put("text", TraceText.staged(st));
            });
        }
        if (withTrace) {
            node.set("trace", chain(trace.base()));
        }
        return node;
    }

    private static ObjectNode chain(ChainRun run) {
        ObjectNode node = JSON.objectNode();
        node.put("chain", run.chain().name());
        node.put("comment", run.chain().comment());
        run.via().ifPresent(v -> {
            ObjectNode via = node.putObject("via");
            via.put("map", v.map());
            via.put("key", v.element().key().toString());
            via.put("subject", v.subject());
        });
        ArrayNode rules = node.putArray("rules");
        for (RuleRun rule : run.rules()) {
            ObjectNode r = rules.addObject();
            r.put("position", rule.position());
            r.put("statement", rule.rule().statement());
            r.put("comment", rule.rule().comment());
            r.put("matched", rule.matched());
            ArrayNode checks = r.putArray("checks");
            rule.checks().forEach(c -> checks.add(check(c)));
            rule.action().ifPresent(a -> r.put("action", a));
            rule.jumped().ifPresent(j -> r.set("jumped", chain(j)));
        }
        node.put("exit", run.exit().name().toLowerCase(Locale.ROOT));
        return node;
    }

    private static ObjectNode check(Check check) {
        ObjectNode node = JSON.objectNode();
        node.put("expression", check.expression());
        node.put("matched", check.matched());
        node.put("reason", check.reason());
        check.set().ifPresent(s -> node.put("set", s));
        check.element().ifPresent(e -> node.set("element", element(e)));
        return node;
    }

    private static ObjectNode element(SetElement element) {
        ObjectNode node = JSON.objectNode();
        node.put("key", element.keyToNft());
        if (!element.comment().isEmpty()) {
            node.put("comment", element.comment());
        }
        if (!element.sources().isEmpty()) {
            node.set("sources", sources(element.sources()));
        }
        return node;
    }

    private static ArrayNode sources(List<Source> sources) {
        ArrayNode array = JSON.arrayNode();
        for (Source s : sources) {
            ObjectNode source = array.addObject();
            source.put("policy", s.policy());
            source.put("direction", s.direction().field());
            source.put("rule", s.rule());
            if (s.peer() >= 0) {
                source.put("peer", s.peer());
            }
            source.put("text", s.toString());
        }
        return array;
    }
}
