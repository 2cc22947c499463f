# Second half of every module Makefile: our shared library and Kamailio's
# module rules.
DEFS += -I$(EPC_TOP)/lib -I$(COREPATH) -DEPC_VERSION='"$(EPC_VERSION)"'
LIBS := $(EPC_LIB) $(LIBS)

include $(COREPATH)/Makefile.modules

$(NAME): $(EPC_LIB)
