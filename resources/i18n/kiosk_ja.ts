<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>Camera</name>
    <message>
        <source>Starting the camera…</source>
        <translation>カメラを起動しています…</translation>
    </message>
    <message>
        <source>The camera is not available. Please call staff.</source>
        <translation>カメラが使えません。職員をお呼びください。</translation>
    </message>
    <message>
        <source>The camera picture has stopped. Please wait a moment.</source>
        <translation>カメラの映像が止まっています。しばらくお待ちください。</translation>
    </message>
</context>
<context>
    <name>CardPrompt</name>
    <message>
        <source>Insert your My Number card into the card reader, IC chip first and facing up.</source>
        <translation>マイナンバーカードを、ICチップを上にして、チップの側からカードリーダーに差し込んでください。</translation>
    </message>
    <message>
        <source>The card could not be read. Take it out and insert it again, IC chip first and facing up. If this happens again, please call staff.</source>
        <translation>カードを読み取れませんでした。いったん抜いて、ICチップを上にして、チップの側から差し込み直してください。繰り返し読み取れない場合は、職員をお呼びください。</translation>
    </message>
    <message>
        <source>The card reader is not connected. Please call staff.</source>
        <translation>カードリーダーが接続されていません。職員をお呼びください。</translation>
    </message>
    <message>
        <source>Your card is in the reader. Leave it there until you are asked to take it out.</source>
        <translation>カードが差し込まれています。取り出すよう案内があるまで、そのままにしてください。</translation>
    </message>
</context>
<context>
    <name>Counter</name>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>戻る</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>中止</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed on your card.</source>
        <translation>中止しました。カードには何も変更していません。</translation>
    </message>
    <message>
        <source>Certificate named: serial number %1.</source>
        <translation>対象の電子証明書：シリアル番号 %1</translation>
    </message>
    <message>
        <source>Change a PIN</source>
        <translation>暗証番号を変更する</translation>
    </message>
    <message>
        <source>Changing your PIN…</source>
        <translation>暗証番号を変更しています…</translation>
    </message>
    <message>
        <source>Choose a new %1</source>
        <translation>新しい%1を決めてください</translation>
    </message>
    <message>
        <source>Choose the PIN for the new certificate and enter it twice.</source>
        <translation>新しい電子証明書の暗証番号を決めて、2回入力してください。</translation>
    </message>
    <message>
        <source>Choose the new PIN and enter it twice.</source>
        <translation>新しい暗証番号を決めて、2回入力してください。</translation>
    </message>
    <message>
        <source>Do not take out your card.</source>
        <translation>カードを抜かないでください。</translation>
    </message>
    <message>
        <source>Done. You can take out your card.</source>
        <translation>完了しました。カードをお取りください。</translation>
    </message>
    <message>
        <source>Enter your %1</source>
        <translation>%1を入力してください</translation>
    </message>
    <message>
        <source>Enter your current PIN</source>
        <translation>現在の暗証番号を入力してください</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>終了</translation>
    </message>
    <message>
        <source>Finish and take out the card</source>
        <translation>終了してカードを取り出す</translation>
    </message>
    <message>
        <source>For staff: %1</source>
        <translation>職員用コード：%1</translation>
    </message>
    <message>
        <source>Get a new certificate</source>
        <translation>電子証明書を新しく発行する</translation>
    </message>
    <message>
        <source>Get, renew or revoke your card&apos;s certificates, and change or reset their PINs. Choose your language to start.</source>
        <translation>カードの電子証明書の発行・更新・失効と、暗証番号の変更・再設定ができます。言語を選んで始めてください。</translation>
    </message>
    <message>
        <source>Insert your card</source>
        <translation>カードを差し込んでください</translation>
    </message>
    <message>
        <source>Making the new %1 on your card…</source>
        <translation>カードに新しい%1を作成しています…</translation>
    </message>
    <message>
        <source>My Number card certificates</source>
        <translation>マイナンバーカードの電子証明書</translation>
    </message>
    <message>
        <source>My lost card was found: lift the suspension</source>
        <translation>紛失したカードが見つかった（一時停止の解除）</translation>
    </message>
    <message>
        <source>New %1 on your card, valid until %2 (serial number %3).</source>
        <translation>カードに新しい%1が入りました。有効期限 %2（シリアル番号 %3）</translation>
    </message>
    <message>
        <source>Not possible with this card today:</source>
        <translation>このカードで本日できない手続：</translation>
    </message>
    <message>
        <source>Please wait</source>
        <translation>お待ちください</translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation>控えを印刷</translation>
    </message>
    <message>
        <source>Procedure: %1</source>
        <translation>手続：%1</translation>
    </message>
    <message>
        <source>Reference number: %1</source>
        <translation>受付番号：%1</translation>
    </message>
    <message>
        <source>Renew a certificate</source>
        <translation>電子証明書を更新する</translation>
    </message>
    <message>
        <source>Renewal keeps your PIN. Enter the current one; the card checks it.</source>
        <translation>更新では暗証番号は変わりません。現在の暗証番号を入力してください（カードが確認します）。</translation>
    </message>
    <message>
        <source>Report a leaked key and revoke its certificate</source>
        <translation>秘密鍵の漏えい等を届け出て電子証明書を失効させる</translation>
    </message>
    <message>
        <source>Request disclosure or correction</source>
        <translation>開示・訂正を請求する</translation>
    </message>
    <message>
        <source>Reset a forgotten or locked PIN</source>
        <translation>忘れた・ロックされた暗証番号を再設定する</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>結果</translation>
    </message>
    <message>
        <source>Revoke a certificate</source>
        <translation>電子証明書を失効させる</translation>
    </message>
    <message>
        <source>Sending your revocation request…</source>
        <translation>失効の申請を送信しています…</translation>
    </message>
    <message>
        <source>Setting your new PIN…</source>
        <translation>新しい暗証番号を設定しています…</translation>
    </message>
    <message>
        <source>Something went wrong. Please ask staff; they can see the code below.</source>
        <translation>問題が発生しました。職員にお声がけください（下のコードで状況がわかります）。</translation>
    </message>
    <message>
        <source>Staff must sign in at the staff console first. Please ask staff.</source>
        <translation>先に職員が職員用画面でログインする必要があります。職員にお声がけください。</translation>
    </message>
    <message>
        <source>Switch to a face-auth card</source>
        <translation>顔認証マイナンバーカードに切り替える</translation>
    </message>
    <message>
        <source>Switching the card to face authentication…</source>
        <translation>カードを顔認証マイナンバーカードに切り替えています…</translation>
    </message>
    <message>
        <source>The PIN was not correct.</source>
        <translation>暗証番号が正しくありません。</translation>
    </message>
    <message>
        <source>The card shows the signing certificate only after its PIN.</source>
        <translation>署名用電子証明書は、そのパスワードを入力すると読み取れます。</translation>
    </message>
    <message>
        <source>The card was taken out. If a step was not finished, it continues when you insert it again.</source>
        <translation>カードが抜かれました。終わっていない手続は、カードを再び差し込むと続きから行います。</translation>
    </message>
    <message>
        <source>The connection to the certification centre is down. What needs it cannot be done now; requests that can wait are sent as soon as it is back.</source>
        <translation>地方公共団体情報システム機構との通信ができません。通信が必要な手続は今はできません。後から送信できる申請は、通信が戻りしだい送信します。</translation>
    </message>
    <message>
        <source>The session ended because there was no input.</source>
        <translation>操作がなかったため終了しました。</translation>
    </message>
    <message>
        <source>This cannot be done. Please ask staff at the counter.</source>
        <translation>この手続はできません。窓口の職員にお声がけください。</translation>
    </message>
    <message>
        <source>This terminal is out of service. Please ask staff at the counter.</source>
        <translation>この端末は現在休止中です。窓口の職員にお声がけください。</translation>
    </message>
    <message>
        <source>To confirm who you are, enter your resident registry PIN (4 digits).</source>
        <translation>ご本人の確認のため、住民基本台帳用暗証番号（数字4桁）を入力してください。</translation>
    </message>
    <message>
        <source>To read your name, address and date of birth from the card, enter its card information PIN.</source>
        <translation>カードから氏名・住所・生年月日を読み取るため、券面事項入力補助用暗証番号を入力してください。</translation>
    </message>
    <message>
        <source>What would you like to do?</source>
        <translation>どの手続をしますか？</translation>
    </message>
    <message>
        <source>Your %1 has been set. Nobody else has seen it.</source>
        <translation>%1を設定しました。ほかの人には見えていません。</translation>
    </message>
    <message>
        <source>Your request has been taken. The certification centre cannot be reached right now; it will be sent automatically. Staff can tell you when it has gone through.</source>
        <translation>申請を受け付けました。現在、機構と通信できないため、通信が戻りしだい自動で送信します。送信されたかどうかは職員にお尋ねください。</translation>
    </message>
    <message>
        <source>signing certificate</source>
        <translation>署名用電子証明書</translation>
    </message>
    <message>
        <source>user authentication certificate</source>
        <translation>利用者証明用電子証明書</translation>
    </message>
</context>
<context>
    <name>Guidance</name>
    <message>
        <source>Only one person in front of the camera, please.</source>
        <translation>カメラの前には、お一人だけでお願いします。</translation>
    </message>
    <message>
        <source>Please face the camera again.</source>
        <translation>もう一度カメラの方を向いてください。</translation>
    </message>
    <message>
        <source>Please face the camera straight on.</source>
        <translation>顔をカメラの正面に向けてください。</translation>
    </message>
    <message>
        <source>Please hold still.</source>
        <translation>そのまま動かないでください。</translation>
    </message>
    <message>
        <source>Please look at the camera.</source>
        <translation>カメラを見てください。</translation>
    </message>
    <message>
        <source>Please make sure your eyes are visible (no sunglasses or hands).</source>
        <translation>目が見えるようにしてください（サングラスや手で隠さないでください）。</translation>
    </message>
    <message>
        <source>Please move back a little.</source>
        <translation>少し離れてください。</translation>
    </message>
    <message>
        <source>Please move closer.</source>
        <translation>もう少し近づいてください。</translation>
    </message>
    <message>
        <source>Please move to the centre of the frame.</source>
        <translation>顔を枠の中央に合わせてください。</translation>
    </message>
    <message>
        <source>Please turn your head slowly to your left.</source>
        <translation>ゆっくりと顔を左に向けてください。</translation>
    </message>
    <message>
        <source>Please turn your head slowly to your right.</source>
        <translation>ゆっくりと顔を右に向けてください。</translation>
    </message>
    <message>
        <source>The area is too dark. Please call staff.</source>
        <translation>周りが暗すぎます。職員をお呼びください。</translation>
    </message>
    <message>
        <source>There is too much light behind or on you. Please call staff.</source>
        <translation>後ろや顔に当たる光が強すぎます。職員をお呼びください。</translation>
    </message>
    <message>
        <source>Your face is not lit evenly. Please call staff.</source>
        <translation>顔に当たる光にむらがあります。職員をお呼びください。</translation>
    </message>
</context>
<context>
    <name>IdleCountdown</name>
    <message>
        <source>Are you still there?</source>
        <translation>まだご利用中ですか？</translation>
    </message>
    <message>
        <source>Continue</source>
        <extracomment>Button on the idle countdown: keep the session open.</extracomment>
        <translation>続ける</translation>
    </message>
    <message>
        <source>Seconds left</source>
        <translation>残り秒数</translation>
    </message>
    <message>
        <source>Touch the screen to continue. When the countdown reaches zero, this session ends and what you entered is erased.</source>
        <translation>続ける場合は画面に触れてください。カウントが0になると、手続きは終了し、入力した内容は消去されます。</translation>
    </message>
</context>
<context>
    <name>PinIssue</name>
    <message>
        <source>Only the keys shown on the keypad can be used.</source>
        <translation>画面のキーにある文字だけが使えます。</translation>
    </message>
    <message>
        <source>The two entries are different. Please enter the new PIN again.</source>
        <translation>1回目と2回目の入力が一致しません。新しい暗証番号をもう一度入力してください。</translation>
    </message>
    <message>
        <source>This is too easy to guess. Avoid repeated characters (1111, 1212) and runs (1234, ABC123).</source>
        <translation>推測されやすいため使えません。同じ文字の繰り返し（1111、1212）や連続した並び（1234、ABC123）は避けてください。</translation>
    </message>
    <message>
        <source>This is too easy to guess. Do not use your date of birth.</source>
        <translation>推測されやすいため使えません。生年月日は使わないでください。</translation>
    </message>
    <message>
        <source>This is too long.</source>
        <translation>長すぎます。</translation>
    </message>
    <message>
        <source>This is too short.</source>
        <translation>短すぎます。</translation>
    </message>
    <message>
        <source>Use at least one letter and at least one digit.</source>
        <translation>英字と数字をそれぞれ1文字以上使ってください。</translation>
    </message>
</context>
<context>
    <name>PinKeypad</name>
    <message>
        <source>%1 digits</source>
        <translation>数字%1桁</translation>
    </message>
    <message>
        <source>%1 to %2 characters: capital letters A–Z and digits 0–9</source>
        <translation>英大文字（A〜Z）と数字（0〜9）で%1〜%2文字</translation>
    </message>
    <message>
        <source>At least one letter and one digit</source>
        <translation>英字と数字をそれぞれ1文字以上</translation>
    </message>
    <message>
        <source>Characters entered: %1</source>
        <translation>入力済みの文字数：%1</translation>
    </message>
    <message>
        <source>Choose a new %1.</source>
        <translation>新しい%1を決めて入力してください。</translation>
    </message>
    <message>
        <source>Clear</source>
        <extracomment>Keypad key that deletes everything typed.</extracomment>
        <translation>すべて消す</translation>
    </message>
    <message>
        <source>Delete</source>
        <extracomment>Keypad key that deletes the last character typed.</extracomment>
        <translation>1文字消す</translation>
    </message>
    <message>
        <source>Enter the new %1 again to confirm.</source>
        <translation>確認のため、新しい%1をもう一度入力してください。</translation>
    </message>
    <message>
        <source>Enter your %1.</source>
        <translation>%1を入力してください。</translation>
    </message>
    <message>
        <source>Not easy to guess (no repeats, runs or date of birth)</source>
        <translation>推測されにくいこと（同じ文字の繰り返し、連続した並び、生年月日は使えません）</translation>
    </message>
    <message>
        <source>OK</source>
        <extracomment>Keypad key that submits the PIN.</extracomment>
        <translation>決定</translation>
    </message>
    <message>
        <source>PIN entry (hidden)</source>
        <translation>暗証番号の入力欄（伏せ字）</translation>
    </message>
</context>
<context>
    <name>PinKind</name>
    <message>
        <source>card information entry PIN</source>
        <translation>券面事項入力補助用暗証番号</translation>
    </message>
    <message>
        <source>resident registry PIN</source>
        <translation>住民基本台帳用暗証番号</translation>
    </message>
    <message>
        <source>signing PIN</source>
        <extracomment>Official name of the PIN on the My Number card; used inside sentences.</extracomment>
        <translation>署名用電子証明書のパスワード</translation>
    </message>
    <message>
        <source>user authentication PIN</source>
        <translation>利用者証明用電子証明書の暗証番号</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>Done</source>
        <translation>完了</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>エラー</translation>
    </message>
    <message>
        <source>Information</source>
        <translation>お知らせ</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>注意</translation>
    </message>
</context>
<context>
    <name>TriesNotice</name>
    <message>
        <source>%2 tries left for the %1.</source>
        <translation>%1の残りの入力回数は%2回です。</translation>
    </message>
    <message>
        <source>One try left: a wrong %1 now locks it, and you will need to reset it at the municipal counter (bring your card and an identity document), or at a PIN-reset terminal with a face check and your %2. If you are not sure of it, stop here.</source>
        <translation>残り1回です。ここで%1を間違えるとロックされ、市区町村の窓口（カードと本人確認書類をお持ちください）、または顔認証と%2による暗証番号リセット端末で再設定が必要になります。自信がない場合は、ここで中止してください。</translation>
    </message>
    <message>
        <source>One try left: a wrong %1 now locks it, and you will need to reset it at the municipal counter (bring your card and an identity document). If you are not sure of it, stop here.</source>
        <translation>残り1回です。ここで%1を間違えるとロックされ、市区町村の窓口（カードと本人確認書類をお持ちください）で再設定が必要になります。自信がない場合は、ここで中止してください。</translation>
    </message>
    <message>
        <source>The %1 is locked after too many wrong entries. You can set a new one at the municipal counter (bring your card and an identity document), or at a PIN-reset terminal with a face check and your %2.</source>
        <translation>%1は入力の誤りが続いたためロックされています。市区町村の窓口（カードと本人確認書類をお持ちください）、または顔認証と%2による暗証番号リセット端末で再設定できます。</translation>
    </message>
    <message>
        <source>The %1 is locked after too many wrong entries. You can set a new one at the municipal counter (bring your card and an identity document).</source>
        <translation>%1は入力の誤りが続いたためロックされています。市区町村の窓口（カードと本人確認書類をお持ちください）で再設定できます。</translation>
    </message>
</context>
</TS>
