/**
 * The agent as a Java Operator SDK controller: its primary resource is its own Node; the cluster's kinds are event
 * sources whose every change maps to that Node; the node's NodePolicyStatus is a dependent resource owned by it.
 */
package io.nftpolicy.agent.controller;
