#!/bin/bash
# redis-benchmark HSET/SADD/SPOP at P=1 and P=16 and HGETALL of a 100-field hash, against one server on port $1
port=$1
for P in 1 16; do
  redis-benchmark -p $port -t hset,sadd,spop -n 300000 -c 50 -P $P -q 2>&1 | tr '\r' '\n' | grep 'requests per second' | sed "s/^/P=$P /"
done
args=""
for i in $(seq 1 100); do args="$args field$i value-$i-xxxxxxxx"; done
redis-cli -p $port del h100 > /dev/null
redis-cli -p $port hset h100 $args > /dev/null
for P in 1 16; do
  redis-benchmark -p $port -n 100000 -c 50 -P $P -q hgetall h100 2>&1 | tr '\r' '\n' | grep 'requests per second' | sed "s/^/P=$P HGETALL100 /"
done
