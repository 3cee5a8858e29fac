/* crm.h: the public interface of libcrm, the library every crm command is
 * built on. Include this one header. */
#ifndef CRM_H
#define CRM_H

#include "db.h"
#include "value.h"
#include "customer.h"
#include "event.h"
#include "csv.h"
#include "custlist.h"
#include "out.h"
#include "util.h"
#include "mail.h"
#include "privacy.h"
#include "sha256.h"
#include "rfm.h"
#include "filter.h"
#include "segment.h"
#include "predict.h"
#include "import.h"
#include "report.h"

#endif
