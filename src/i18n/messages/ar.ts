import type { Messages } from './en'

/** "لمدة {minutes}": the counted noun after a number, as Arabic grammar (and CLDR's plural rules) has it. */
function minutes(n: number): string {
  if (n === 1) return 'دقيقة'
  if (n === 2) return 'دقيقتين'
  const rest = n % 100
  return rest >= 3 && rest <= 10 ? `${n} دقائق` : `${n} دقيقة`
}

/**
 * Modern Standard Arabic. An Arabic text message is sent as UCS-2, 70 characters a segment: each
 * SMS text stays within one with OTP_LENGTH 10 and an APP_NAME of up to 15 characters
 * (test/unit/sms-segments.test.ts). Digits are Western (0-9), as the codes are typed.
 */
export const ar: Messages = {
  minutes,
  sms: {
    code: {
      register: 'رمز التحقق في {app}: {code}، صالح لمدة {minutes}.',
      login: 'رمز الدخول إلى {app}: {code}، صالح لمدة {minutes}.',
      reset: 'رمز استعادة كلمة مرور {app}: {code}، صالح لمدة {minutes}.',
      email_change: 'رمز تأكيد بريدك في {app}: {code}، صالح لمدة {minutes}.',
      phone_change: 'رمز تأكيد هاتفك في {app}: {code}، صالح لمدة {minutes}.',
    },
    phone_changed: 'تم تغيير رقم هاتفك في {app}. إن لم تكن أنت، فاتصل بالدعم.',
    mfa_reset: 'أوقف مسؤول التحقق بخطوتين في {app}. لست أنت؟ اتصل بالدعم.',
  },
  email: {
    hello: 'مرحبًا،',
    hello_name: 'مرحبًا {name}،',
    ignore: 'إن لم تطلب ذلك، فيمكنك تجاهل هذه الرسالة.',
    code: {
      subject: {
        register: 'رمز التحقق الخاص بك في {app}',
        login: 'رمز تسجيل الدخول إلى {app}',
        reset: 'إعادة تعيين كلمة المرور في {app}',
        email_change: 'تأكيد بريدك الإلكتروني في {app}',
        phone_change: 'تأكيد رقم هاتفك في {app}',
      },
      intro: {
        register: 'أهلًا بك! أدخل هذا الرمز لإتمام إنشاء حسابك.',
        login: 'أدخل هذا الرمز لتسجيل الدخول.',
        reset: 'طلب أحدهم (ونأمل أن تكون أنت) إعادة تعيين كلمة المرور الخاصة بك.',
        email_change: 'أكّد أن هذا العنوان يخصّك.',
        phone_change: 'أكّد رقم هاتفك الجديد.',
      },
      line: 'رمزك في {app} هو {code}، صالح لمدة {minutes}.',
      link: {
        reset: 'اختيار كلمة مرور جديدة',
        email_change: 'تأكيد بريدي الإلكتروني',
        other: 'متابعة',
      },
      link_text: '{label}: {link}',
      link_valid: '(صالح لمدة {minutes}، ولمرة واحدة)',
      link_open: 'أو افتح {link}',
    },
    notice: {
      password_changed: {
        subject: 'تم تغيير كلمة مرور حسابك في {app}',
        line: 'تم تغيير كلمة مرور حسابك في {app}، وتم تسجيل الخروج من جلساتك الأخرى.',
      },
      password_reset: {
        subject: 'تم تغيير كلمة مرور حسابك في {app}',
        line: 'تمت إعادة تعيين كلمة مرور حسابك في {app}، وتم تسجيل الخروج من جميع الجلسات.',
      },
      password_set: {
        subject: 'تم تغيير كلمة مرور حسابك في {app}',
        line: 'عيّن أحد المسؤولين كلمة مرور جديدة لحسابك في {app}، وتم تسجيل الخروج من جميع الجلسات.',
      },
      email_changed: {
        subject: 'تم تغيير البريد الإلكتروني لحسابك في {app}',
        line: 'تم تغيير البريد الإلكتروني لحسابك في {app}: لم يعد هذا العنوان يتيح تسجيل الدخول ولا تصله رسائل إعادة تعيين كلمة المرور.',
      },
      mfa_reset: {
        subject: 'تم إيقاف التحقق بخطوتين لحسابك في {app}',
        line: 'أوقف أحد المسؤولين التحقق بخطوتين لحسابك في {app}، وتم تسجيل الخروج من جميع الجلسات. سجّل الدخول لتفعيله من جديد.',
      },
      not_you: 'إن لم تكن أنت من قام بذلك، فأعد تعيين كلمة المرور الآن وتواصل مع الدعم.',
    },
    welcome: {
      subject: 'أهلًا بك في {app}',
      ready: 'أهلًا بك في {app}! حسابك جاهز وتم تأكيد عنوان البريد الإلكتروني هذا.',
      resets: 'يمكنك تسجيل الدخول به، وستصلك عليه رسائل إعادة تعيين كلمة مرور حسابك في {app}.',
    },
  },
}
