#!/usr/bin/env bash
# Virtual sound devices for machines without a sound card (CI, containers).
#
#   scripts/pulse-virtual.sh start   start a private PulseAudio server with:
#       vc_speaker          null sink, the default output (the coach speaks here)
#       vc_speaker.monitor  what the coach said, to record (parec --device=vc_speaker.monitor)
#       vc_room             null sink, 16 kHz mono: play the person's voice into it
#       vc_mic              the default input, fed by vc_room (a virtual microphone)
#   scripts/pulse-virtual.sh env     print the export line that points clients at it
#   scripts/pulse-virtual.sh play F  play WAV file F into the virtual microphone
#   scripts/pulse-virtual.sh stop    stop the server
#
# Clients find the server through PULSE_RUNTIME_PATH (default /tmp/voicecoach-pulse);
# PortAudio/sounddevice reach it through the ALSA "pulse" plugin (libasound2-plugins),
# which makes ALSA's "default" device PulseAudio's default sink and source.
# Needs: pulseaudio pulseaudio-utils libasound2-plugins (apt); sox for the warm-up.
set -euo pipefail

export PULSE_RUNTIME_PATH="${PULSE_RUNTIME_PATH:-/tmp/voicecoach-pulse}"

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "pulse-virtual: '$1' is missing; install it with: apt-get install $2" >&2
        exit 3
    }
}

running() { pactl info >/dev/null 2>&1; }

start() {
    need pulseaudio pulseaudio
    need pactl pulseaudio-utils
    if [ ! -e /usr/share/alsa/alsa.conf.d/50-pulseaudio.conf ] &&
        [ ! -e /etc/alsa/conf.d/50-pulseaudio.conf ]; then
        echo "pulse-virtual: the ALSA pulse plugin is missing; apt-get install libasound2-plugins" >&2
        exit 3
    fi
    mkdir -p "$PULSE_RUNTIME_PATH"
    if ! running; then
        # -n: no default.pa (no hardware probing); a per-user daemon even as root, so no
        # system-wide D-Bus or pulse user is needed; never exit on idle.
        pulseaudio --daemonize=yes --system=false -n \
            --exit-idle-time=-1 --disallow-exit=false --use-pid-file=yes \
            --load=module-native-protocol-unix \
            --log-target="file:$PULSE_RUNTIME_PATH/pulse.log" 2>/dev/null
        for _ in $(seq 50); do running && break; sleep 0.1; done
        running || {
            echo "pulse-virtual: PulseAudio did not start; see $PULSE_RUNTIME_PATH/pulse.log" >&2
            exit 4
        }
    fi
    if ! pactl list short sinks | grep -q '^[0-9]*[[:space:]]vc_speaker[[:space:]]'; then
        pactl load-module module-null-sink sink_name=vc_speaker \
            sink_properties=device.description=VoicecoachSpeaker >/dev/null
        pactl load-module module-null-sink sink_name=vc_room rate=16000 channels=1 \
            sink_properties=device.description=VoicecoachRoom >/dev/null
        pactl load-module module-remap-source source_name=vc_mic master=vc_room.monitor \
            source_properties=device.description=VoicecoachMicrophone >/dev/null
    fi
    pactl set-default-sink vc_speaker
    pactl set-default-source vc_mic
    keep_low_latency
    warm_up
    echo "pulse-virtual: running; export PULSE_RUNTIME_PATH=$PULSE_RUNTIME_PATH"
}

# A null sink runs with 2 s blocks unless a client asks for less, and clients that come
# through the ALSA plugin do not ask; a sentence then comes out up to a second late and
# an interruption is not heard. A silent low-latency client on each sink fixes the pace.
keep_low_latency() {
    local sink
    for sink in vc_speaker vc_room; do
        local pidfile="$PULSE_RUNTIME_PATH/keeper-$sink.pid"
        if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then continue; fi
        pacat --playback --device="$sink" --latency-msec=30 --format=s16le --rate=16000 \
            --channels=1 --raw /dev/zero >>"$PULSE_RUNTIME_PATH/pulse.log" 2>&1 &
        echo $! >"$pidfile"
    done
}

# The first client that comes through the ALSA plugin starts up slowly (about 2 s);
# take that hit here, not in the first sentence of a test.
warm_up() {
    if command -v sox >/dev/null 2>&1; then
        sox -q -n -r 16000 -c 1 -b 16 -t alsa default trim 0 0.2 2>/dev/null ||
            echo "pulse-virtual: warm-up through ALSA failed (is libasound2-plugins installed?)" >&2
    fi
}

stop() {
    local pidfile
    for pidfile in "$PULSE_RUNTIME_PATH"/keeper-*.pid; do
        [ -f "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
    if running; then
        pulseaudio --kill 2>/dev/null || true
        for _ in $(seq 30); do running || break; sleep 0.1; done
    fi
    echo "pulse-virtual: stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) echo "export PULSE_RUNTIME_PATH=$PULSE_RUNTIME_PATH" ;;
play)
    [ -n "${2:-}" ] || { echo "usage: $0 play FILE.wav" >&2; exit 2; }
    paplay --device=vc_room "$2"
    ;;
*)
    echo "usage: $0 start|stop|env|play FILE.wav" >&2
    exit 2
    ;;
esac
