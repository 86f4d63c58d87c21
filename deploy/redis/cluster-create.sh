#!/bin/sh
# Makes the six redis-node-N services of docker-compose.scale.yml one Redis Cluster (three masters,
# a replica each), once: a cluster that is already up is left as it is. CLUSTER MEET needs
# addresses, so the nodes' names are looked up first; clients then reach the nodes by name
# (cluster-announce-hostname).
set -eu
if redis-cli -h redis-node-1 cluster info | grep -q '^cluster_state:ok'; then
  echo "cluster already up"
  exit 0
fi
addresses=""
for n in 1 2 3 4 5 6; do
  until redis-cli -h "redis-node-$n" ping | grep -q PONG; do sleep 1; done
  addresses="$addresses $(getent hosts "redis-node-$n" | cut -d' ' -f1):6379"
done
# shellcheck disable=SC2086 # one argument per node
redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
