#ifndef PARLEY_CEXPAT_SHIM_H
#define PARLEY_CEXPAT_SHIM_H
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <expat.h>
#if defined(__linux__)
#include <sys/random.h>
#else
#include <stdlib.h>
#endif

/// `XML_SetReparseDeferralEnabled`'s signature (expat 2.6.0, libexpat #840).
typedef XML_Bool (*CExpat_SetReparseDeferralEnabled)(XML_Parser parser, XML_Bool enabled);

/// Looks up `XML_SetReparseDeferralEnabled` in the libexpat this process runs with (once), or returns NULL.
///
/// Reparse deferral (expat 2.6) holds back every callback for a token split across feeds until the bytes
/// buffered have doubled; an XMPP stream must see each element as soon as its last byte arrives. The switch that
/// turns it off cannot be found from the header: Debian's security updates backport deferral and this function
/// into libexpat 2.5.0 (2.5.0-1+deb12u2 and later) while `expat.h` still says 2.5.0. So the symbol is looked up at
/// run time, in the libraries the process loaded (dlopen(NULL) is the global scope), whatever the header says.
static inline CExpat_SetReparseDeferralEnabled CExpat_reparseDeferralSwitch(void) {
    static CExpat_SetReparseDeferralEnabled found = NULL;
    static int looked = 0;
    if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
        void *global = dlopen(NULL, RTLD_LAZY);
        if (global != NULL) {
            __atomic_store_n(&found,
                (CExpat_SetReparseDeferralEnabled)dlsym(global, "XML_SetReparseDeferralEnabled"), __ATOMIC_RELAXED);
            dlclose(global);
        }
        __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&found, __ATOMIC_RELAXED);
}

/// Turns reparse deferral off where the library has the switch. Returns 1 when it did, 0 when the library has no
/// switch (then `ExpatLibrary`'s probe tells whether it defers anyway). Needed again after each XML_ParserReset,
/// which restores the library's default.
static inline int CExpat_disableReparseDeferral(XML_Parser parser) {
    CExpat_SetReparseDeferralEnabled setEnabled = CExpat_reparseDeferralSwitch();
    if (setEnabled == NULL) return 0;
    return setEnabled(parser, XML_FALSE) == XML_TRUE ? 1 : 0;
}

/// `XML_SetBillionLaughsAttackProtection*`'s signatures (expat 2.4.0, only in builds with XML_DTD).
typedef XML_Bool (*CExpat_SetAmplificationLimit)(XML_Parser parser, float maximumAmplificationFactor);
typedef XML_Bool (*CExpat_SetActivationThreshold)(XML_Parser parser, unsigned long long activationThresholdBytes);

/// Billion-laughs protection, where the library has it: looked up by symbol like the deferral switch, since the
/// header's version number does not say what a patched library holds. Parley refuses DOCTYPE anyway; this is a
/// second wall.
static inline void CExpat_limitAmplification(XML_Parser parser) {
    static CExpat_SetAmplificationLimit amplification = NULL;
    static CExpat_SetActivationThreshold threshold = NULL;
    static int looked = 0;
    if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
        void *global = dlopen(NULL, RTLD_LAZY);
        if (global != NULL) {
            __atomic_store_n(&amplification,
                (CExpat_SetAmplificationLimit)dlsym(global, "XML_SetBillionLaughsAttackProtectionMaximumAmplification"),
                __ATOMIC_RELAXED);
            __atomic_store_n(&threshold,
                (CExpat_SetActivationThreshold)dlsym(global, "XML_SetBillionLaughsAttackProtectionActivationThreshold"),
                __ATOMIC_RELAXED);
            dlclose(global);
        }
        __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
    }
    CExpat_SetAmplificationLimit setAmplification = __atomic_load_n(&amplification, __ATOMIC_RELAXED);
    CExpat_SetActivationThreshold setThreshold = __atomic_load_n(&threshold, __ATOMIC_RELAXED);
    if (setAmplification != NULL) setAmplification(parser, 2.0f);
    if (setThreshold != NULL) setThreshold(parser, 1024 * 1024);
}

/// A fresh random salt for one parser's hash tables, or 0 when no randomness could be had.
///
/// Expat salts the SipHash of its name tables so that a peer cannot choose names that collide (hash flooding).
/// Left to itself it draws the salt with one `getrandom` system call, after reading `EXPAT_ENTROPY_DEBUG`, every
/// time a document starts: twice per client login (the stream and its restart after SASL, RFC 6120 §4.3.3). Here
/// the same kernel randomness is drawn 64 salts at a time, per thread, and each salt is handed out once and wiped.
static inline unsigned long CExpat_nextHashSalt(void) {
    static __thread unsigned long pool[64];
    static __thread unsigned int left = 0;
    if (left == 0) {
#if defined(__linux__)
        size_t filled = 0;
        while (filled < sizeof pool) {
            ssize_t count = getrandom((char *)pool + filled, sizeof pool - filled, 0);
            if (count < 0) {
                if (errno == EINTR) continue;
                return 0;
            }
            filled += (size_t)count;
        }
#else
        arc4random_buf(pool, sizeof pool);
#endif
        left = sizeof pool / sizeof pool[0];
    }
    left -= 1;
    unsigned long salt = pool[left];
    pool[left] = 0;
    return salt;
}

/// Gives a parser that has not started its document a salt from `CExpat_nextHashSalt`. Expat reads a salt of 0
/// as "none set" and draws its own, so a failed draw falls back to expat's behaviour.
static inline void CExpat_setHashSalt(XML_Parser parser) {
    unsigned long salt = CExpat_nextHashSalt();
    if (salt != 0) (void)XML_SetHashSalt(parser, salt);
}
#endif
