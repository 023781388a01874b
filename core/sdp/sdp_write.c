#include "moonsip/base.h"
