#!/usr/bin/env bash
# Resolves a Kafka broker's jars (KRaft mode) from Maven Central into the cache:
#   ${CHAT_CACHE_DIR:-$HOME/.cache/chat-backend}/kafka-<kafka version>/libs/*.jar
# testing/servers/startKafka.ts runs them with `java -cp '<libs>/*'`.
# A second run with that folder complete does nothing (no Maven start at all).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
POM="$HERE/kafka-pom.xml"
CACHE_DIR="${CHAT_CACHE_DIR:-$HOME/.cache/chat-backend}"

prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n1; }
KAFKA_VERSION="$(prop kafka.version)"
LOG4J_VERSION="$(prop log4j.version)"
TARGET="$CACHE_DIR/kafka-$KAFKA_VERSION"
STAMP="$TARGET/.complete"
WANT="kafka=$KAFKA_VERSION log4j=$LOG4J_VERSION"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  echo "kafka: $KAFKA_VERSION jars cached in $TARGET/libs"
  exit 0
fi

command -v java >/dev/null || { echo "kafka: 'java' is not on PATH (the broker needs Java 17+)" >&2; exit 1; }
JAVA_MAJOR="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [[ -z "$JAVA_MAJOR" || "${JAVA_MAJOR%%.*}" -lt 17 ]]; then
  echo "kafka: Kafka $KAFKA_VERSION's broker needs Java 17+, found '${JAVA_MAJOR:-unknown}'" >&2
  exit 1
fi
command -v mvn >/dev/null || { echo "kafka: 'mvn' is not on PATH; cannot resolve the Kafka jars" >&2; exit 1; }

echo "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION (+ log4j-slf4j-impl $LOG4J_VERSION) with Maven"
rm -rf "$TARGET"
mkdir -p "$TARGET"
# Maven's own output goes to a log, shown only when it fails.
if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$TARGET/libs.tmp" > "$TARGET/mvn.log" 2>&1; then
  tail -n 60 "$TARGET/mvn.log" >&2
  echo "kafka: mvn dependency:copy-dependencies failed (full log: $TARGET/mvn.log)" >&2
  exit 1
fi
mv "$TARGET/libs.tmp" "$TARGET/libs"
echo "$WANT" > "$STAMP"
echo "kafka: $(ls "$TARGET/libs" | wc -l) jars ($(du -sh "$TARGET/libs" | cut -f1)) in $TARGET/libs"
