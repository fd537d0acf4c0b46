#ifndef PARLEY_CEXPAT_SHIM_H
#define PARLEY_CEXPAT_SHIM_H
#include <expat.h>

/// From expat 2.6, reparse deferral may hold back callbacks for a token split across feeds
/// (libexpat #840). An interactive XMPP stream must see each element as soon as it is complete;
/// Parley bounds the cost with its own stanza size limit instead.
static inline void CExpat_disableReparseDeferral(XML_Parser parser) {
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
    XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#else
    (void)parser;
#endif
}

/// Billion-laughs protection, where the library has it (expat >= 2.4). Parley refuses DOCTYPE anyway;
/// this is a second wall.
static inline void CExpat_limitAmplification(XML_Parser parser) {
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(parser, 2.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(parser, 1024 * 1024);
#else
    (void)parser;
#endif
}
#endif
