# Integration tests: the real `moonsip run` on 127.0.0.1 against real peers
# (SIPp, and Python socket peers). Each test takes its own ports, from
# MS_INTEG_PORT_BASE (default 21000) plus the offset given here, so they
# run in parallel (ctest -j). Run them alone with: ctest -L integration
# They need python3 and sipp (Debian: sip-tester); the UDP torture tests
# capture the server's answers on lo and need root (CAP_NET_RAW).
find_program(MS_PYTHON3 python3)
if(NOT MS_PYTHON3)
  set(MS_PYTHON3 python3)
endif()
set(MS_INTEG ${CMAKE_SOURCE_DIR}/tests/integration)
set(MS_CORPUS ${CMAKE_SOURCE_DIR}/tests/corpus)

add_test(NAME integration.server_cli
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/server_test.py $<TARGET_FILE:moonsip> 0)
add_test(NAME integration.sipp_udp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/sipp_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR}/tests/sipp 10 u1)
add_test(NAME integration.sipp_tcp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/sipp_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR}/tests/sipp 12 t1)
add_test(NAME integration.rfc4475_udp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/rfc4475_test.py $<TARGET_FILE:moonsip> ${MS_CORPUS}/rfc4475
    ${MS_INTEG}/rfc4475-expect.tsv 20 udp)
add_test(NAME integration.rfc4475_tcp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/rfc4475_test.py $<TARGET_FILE:moonsip> ${MS_CORPUS}/rfc4475
    ${MS_INTEG}/rfc4475-expect.tsv 22 tcp)
add_test(NAME integration.rfc5118_udp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/rfc5118_test.py $<TARGET_FILE:moonsip> ${MS_CORPUS}/rfc5118 24)
add_test(NAME integration.bad_peers
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/bad_peers_test.py $<TARGET_FILE:moonsip> 26)

add_test(NAME integration.tls
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/tls_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR}/tests/sipp 30)

# Port 34, and 35 where nothing listens (a dead relay target).
add_test(NAME integration.default_script
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/default_script_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 34)

# Ports 40 (server), 42 and 43 (SIPp), 45 (reload server).
add_test(NAME integration.lua
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/lua_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR}/tests/sipp 40)

set(MS_INTEG_TESTS integration.lua integration.default_script integration.tls integration.server_cli integration.sipp_udp integration.sipp_tcp
  integration.rfc4475_udp integration.rfc4475_tcp integration.rfc5118_udp integration.bad_peers)
set_tests_properties(${MS_INTEG_TESTS} PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MS_INTEG}/tests.cmake)

# Ports 50 to 56: the proxy's refusals and loop detection, a server stopped with its own request in flight, and the
# load-balancer example with two gateways and a dead port.
add_test(NAME integration.proxy_checks
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/proxy_checks_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 50)

# Ports 60 (proxy, UDP and TCP) to 63 (SIPp UASs and UAC): calls through
# the proxy between SIPp peers that follow the dialog rules.
add_test(NAME integration.proxy
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/proxy_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 60)
set_tests_properties(integration.proxy PROPERTIES TIMEOUT 300)

# Ports 70 (server) to 75 (socket peers): the registrar with a real file.
add_test(NAME integration.registrar
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/registrar_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 70)

# Ports 80 (server) and 81: digest authentication of REGISTERs.
add_test(NAME integration.auth
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/auth_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 80)

# Ports 90 (server) to 94 (SIPp phones): two registered users call each
# other through the default script, with digest, over UDP and TCP.
add_test(NAME integration.default_calls
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/default_calls_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 90)

# Ports 100 (server) to 102: SIGKILL under REGISTER load from SIPp, then
# every acknowledged binding is in the file.
add_test(NAME integration.registrar_crash
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/registrar_crash_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 100)
set_tests_properties(integration.proxy_checks integration.proxy integration.registrar integration.auth
  integration.default_calls integration.registrar_crash
  PROPERTIES LABELS integration ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")
set_tests_properties(integration.default_calls integration.registrar_crash PROPERTIES TIMEOUT 120)

# Ports 120 (server), 121 and 122 (the UAs' SIP), 123 (a second server),
# 124 to 127 (the UAs' RTP), 130 to 141 (the relays' --rtp-ports): calls
# with their media through the relay; SIPp with RTP at 142 to 153, its
# server's relay at 160 to 167.
add_test(NAME integration.rtp
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/rtp_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 120)
set_tests_properties(integration.rtp PROPERTIES LABELS integration TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# No ports on this machine's network: the test makes its own namespaces
# (a caller behind a NAT, moonsip and the callee on the public side), and
# exits 77 (skipped) where it cannot (not root, no netns, no nft/iptables).
add_test(NAME integration.rtp_nat
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/rtp_nat_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR})
set_tests_properties(integration.rtp_nat PROPERTIES LABELS integration TIMEOUT 90 SKIP_RETURN_CODE 77
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# Ports 110 (server, UDP and TCP) to 114 (socket peers): the nat table:
# detection, fix_contact on a request and a 2xx, keep-alives to a peer
# behind a NAT (CRLF over UDP and TCP, OPTIONS), reloads that stop them.
add_test(NAME integration.nat
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/nat_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 110)
set_tests_properties(integration.nat PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# Ports 170 and 179 (server) to 176 (two UAs' SIP and RTP), 180 to 187 (the relay):
# the default script with a phone behind a NAT: keep-alives, Contact
# rewritten, media relayed.
add_test(NAME integration.default_nat
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/default_nat_test.py $<TARGET_FILE:moonsip> ${CMAKE_SOURCE_DIR} 170)
set_tests_properties(integration.default_nat PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# Ports 190 (server) and 191 (the example's UA): the embedding examples
# against the default script.
add_test(NAME integration.examples
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/examples_test.py $<TARGET_FILE:moonsip> ${CMAKE_BINARY_DIR}/examples
    ${CMAKE_SOURCE_DIR} 190)
set_tests_properties(integration.examples PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# Ports 200 (server), 201 and 204 (alice's SIP and RTP), 202 (echo-uas's
# SIP; its RTP on a free port), 210 to 217 (the relay): the echo-uas
# example answering calls through the default script, with and without
# the relay.
add_test(NAME integration.echo_uas
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/echo_uas_test.py $<TARGET_FILE:moonsip> ${CMAKE_BINARY_DIR}/examples
    ${CMAKE_SOURCE_DIR} 200)
set_tests_properties(integration.echo_uas PROPERTIES LABELS integration TIMEOUT 60
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")

# Ports 240 to 247: the Lua examples (call.lua, b2bua.lua) against the
# default script, SIPp and echo-uas. Not in sanitizer builds: the Lua module
# is loaded into Debian's luajit, which has no sanitizer runtime.
if(NOT MOONSIP_SANITIZE)
  find_program(MS_LUAJIT_EXAMPLES NAMES luajit)
  if(MS_LUAJIT_EXAMPLES)
    add_test(NAME integration.lua_examples
      COMMAND ${MS_PYTHON3} ${MS_INTEG}/lua_examples_test.py $<TARGET_FILE:moonsip> ${CMAKE_BINARY_DIR}/examples
        ${CMAKE_BINARY_DIR}/lua ${CMAKE_SOURCE_DIR} 240)
    set_tests_properties(integration.lua_examples PROPERTIES LABELS integration TIMEOUT 90
      ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
  endif()
endif()

# Ports 220 to 223 and 230 to 239 (baresip's RTP): interop with baresip
# (Debian's baresip-core) through the default script: it registers, calls
# echo-uas and hears its audio back, and is called by call.lua (not in
# sanitizer builds, where the Lua module cannot be loaded by luajit).
if(MOONSIP_SANITIZE)
  set(MS_BARESIP_LUA -)
else()
  set(MS_BARESIP_LUA ${CMAKE_BINARY_DIR}/lua)
endif()
add_test(NAME integration.baresip
  COMMAND ${MS_PYTHON3} ${MS_INTEG}/baresip_test.py $<TARGET_FILE:moonsip> ${CMAKE_BINARY_DIR}/examples
    ${MS_BARESIP_LUA} ${CMAKE_SOURCE_DIR} 220)
set_tests_properties(integration.baresip PROPERTIES LABELS integration TIMEOUT 90
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=1")
