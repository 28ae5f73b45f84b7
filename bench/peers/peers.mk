# bench/peers/peers.mk -- the peer programs, one binary per peer in
# $(BUILD)/peers (included by the top Makefile; `make peers`). A peer whose
# library is missing is skipped with one line; the check runs at build time,
# after `deps` has had its chance to install it.
PEERS_DIR  := $(BUILD)/peers
PEERS      := $(addprefix $(PEERS_DIR)/,pipe shm_ring libuv openmp tbb)
PEER_FLAGS  = $(OPT) -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -MMD -MP $(SAN_$(SANITIZE))
# $(call peer_if,CHECK,NAME): runs the rest of the recipe line only if CHECK succeeds.
peer_if     = if ! $(1) >/dev/null 2>&1; then echo "peers: no $(2) here; its peer is skipped"; else

.PHONY: peers
peers: $(PEERS)
$(PEERS_DIR)/pipe $(PEERS_DIR)/shm_ring: $(PEERS_DIR)/%: bench/peers/%.c | deps
	@mkdir -p $(@D)
	$(CC) -std=c11 $(PEER_FLAGS) $< -o $@
$(PEERS_DIR)/libuv: bench/peers/libuv.c | deps
	@mkdir -p $(@D)
	@$(call peer_if,pkg-config --exists libuv,libuv) f=$$(pkg-config --cflags --libs libuv); \
	    set -x; $(CC) -std=c11 $(PEER_FLAGS) $< -o $@ $$f; fi
$(PEERS_DIR)/openmp: bench/peers/openmp.c | deps
	@mkdir -p $(@D)
	@$(call peer_if,$(CC) -fopenmp -E bench/peers/openmp.c,OpenMP) set -x; \
	    $(CC) -std=c11 -fopenmp $(PEER_FLAGS) $< -o $@; fi
$(PEERS_DIR)/tbb: bench/peers/tbb.cpp | deps
	@mkdir -p $(@D)
	@$(call peer_if,pkg-config --exists tbb,oneTBB) f=$$(pkg-config --cflags --libs tbb); \
	    set -x; $(CXX) -std=c++17 $(PEER_FLAGS) $< -o $@ $$f; fi
