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
    <name>Console</name>
    <message>
        <source>%1 d %2 h</source>
        <translation>%1日%2時間</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1時間%2分</translation>
    </message>
    <message>
        <source>%1 message(s) are on their way to the central.</source>
        <translation>機構への送信待ちが %1 件あります。</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1分</translation>
    </message>
    <message>
        <source>%1 of disk space free.</source>
        <translation>ディスクの空き容量：%1。</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>試行回数</translation>
    </message>
    <message>
        <source>Awaiting the card write</source>
        <translation>書込み待ち</translation>
    </message>
    <message>
        <source>Awaiting 機構&apos;s answer</source>
        <translation>応答待ち</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSVファイル (*.csv)</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>カメラ</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>中止</translation>
    </message>
    <message>
        <source>Card reader</source>
        <translation>カードリーダー</translation>
    </message>
    <message>
        <source>Card wait ends</source>
        <translation>カード待ち期限</translation>
    </message>
    <message>
        <source>Card writes</source>
        <translation>書込み回数</translation>
    </message>
    <message>
        <source>Central (機構)</source>
        <translation>機構（センター）</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>証明書</translation>
    </message>
    <message>
        <source>Certificate received</source>
        <translation>証明書受信済み</translation>
    </message>
    <message>
        <source>Certificates not finished</source>
        <translation>完了していない証明書</translation>
    </message>
    <message>
        <source>Change the reason</source>
        <translation>理由を変更する</translation>
    </message>
    <message>
        <source>Check now</source>
        <translation>今すぐ確認</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>確認しています…</translation>
    </message>
    <message>
        <source>Confirm with my staff card</source>
        <extracomment>Button: re-authenticate with the staff card before exiting the kiosk.</extracomment>
        <translation>職員カードで確認する</translation>
    </message>
    <message>
        <source>Confirm with your staff card and PIN first: exiting needs a fresh confirmation.</source>
        <translation>先に職員カードと暗証番号で確認してください。終了には直前の確認が必要です。</translation>
    </message>
    <message>
        <source>Confirm with your staff card and PIN on the Sign-in tab.</source>
        <translation>「サインイン」タブで職員カードと暗証番号により確認してください。</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>完了</translation>
    </message>
    <message>
        <source>Day (JST)</source>
        <translation>日付（日本時間）</translation>
    </message>
    <message>
        <source>Destroyed (カ)</source>
        <translation>破棄件数</translation>
    </message>
    <message>
        <source>Disk space</source>
        <translation>ディスク容量</translation>
    </message>
    <message>
        <source>Disk space is low: %1 left.</source>
        <translation>ディスクの空き容量が少なくなっています（残り %1）。</translation>
    </message>
    <message>
        <source>Everything checked works.</source>
        <translation>確認したすべての項目が正常です。</translation>
    </message>
    <message>
        <source>Exit now</source>
        <translation>今すぐ終了</translation>
    </message>
    <message>
        <source>Exit the kiosk</source>
        <translation>キオスクを終了</translation>
    </message>
    <message>
        <source>Exit the kiosk now? Residents cannot use this terminal until it is started again.</source>
        <translation>キオスクを今すぐ終了しますか？再び起動するまで、住民はこの端末を使えません。</translation>
    </message>
    <message>
        <source>Exit the kiosk…</source>
        <translation>キオスクを終了…</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>CSVに書き出す…</translation>
    </message>
    <message>
        <source>Export the ledger as CSV</source>
        <translation>交付記録簿をCSVに書き出す</translation>
    </message>
    <message>
        <source>Fees (yen)</source>
        <translation>手数料（円）</translation>
    </message>
    <message>
        <source>For maintenance: ends the kiosk program, and residents cannot use this terminal until it is started again. Only a signed-in operator who has just confirmed with their staff card and PIN can exit; the exit is recorded.</source>
        <translation>保守用：キオスクのプログラムを終了します。再び起動するまで、住民はこの端末を使えません。終了できるのは、サインイン中で、職員カードと暗証番号で確認した直後の操作者だけです。終了は記録されます。</translation>
    </message>
    <message>
        <source>Free of charge (オ)</source>
        <translation>無償</translation>
    </message>
    <message>
        <source>Given up</source>
        <translation>中止</translation>
    </message>
    <message>
        <source>Handed over (ウ)</source>
        <translation>交付件数</translation>
    </message>
    <message>
        <source>In service / out of service</source>
        <translation>運用中／休止中</translation>
    </message>
    <message>
        <source>In service since installation.</source>
        <translation>設置以来、運用中です。</translation>
    </message>
    <message>
        <source>In service: residents can use this terminal.</source>
        <translation>運用中：住民はこの端末を利用できます。</translation>
    </message>
    <message>
        <source>Issuance ledger (交付記録簿)</source>
        <translation>交付記録簿</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>種類</translation>
    </message>
    <message>
        <source>Last checked: %1</source>
        <translation>最終確認：%1</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>最後のエラー</translation>
    </message>
    <message>
        <source>Ledger of %1 (JST). Operation record when it was read: %2 records, head %3</source>
        <translation>%1（日本時間）の交付記録簿。読み出し時の操作記録：%2件、先頭ハッシュ %3</translation>
    </message>
    <message>
        <source>Maintenance (点検・保守)</source>
        <translation>点検・保守</translation>
    </message>
    <message>
        <source>Message #%1 could not be made due now. Try again.</source>
        <translation>メッセージ #%1 を今すぐ送信にできませんでした。もう一度お試しください。</translation>
    </message>
    <message>
        <source>Message #%1 goes out with the next sending.</source>
        <translation>メッセージ #%1 は次の送信で送られます。</translation>
    </message>
    <message>
        <source>Message #%1 has already been sent.</source>
        <translation>メッセージ #%1 は送信済みです。</translation>
    </message>
    <message>
        <source>Messages not yet sent to the central</source>
        <translation>機構へ未送信のメッセージ</translation>
    </message>
    <message>
        <source>Messages to the central</source>
        <translation>機構への送信</translation>
    </message>
    <message>
        <source>Messages to the central are delayed: %1 waiting, the oldest for %2 min.</source>
        <translation>機構への送信が遅れています：%1 件が待機中、最も古いものは %2 分待っています。</translation>
    </message>
    <message>
        <source>Messages to the central have not gone out for %1 day(s) or more.</source>
        <translation>機構への送信が %1 日以上止まっています。</translation>
    </message>
    <message>
        <source>Messages waiting: %1. Certificates not finished: %2. (%3)</source>
        <translation>送信待ちのメッセージ：%1件。完了していない証明書：%2件。（%3）</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>次の処理</translation>
    </message>
    <message>
        <source>Next attempt</source>
        <translation>次回送信</translation>
    </message>
    <message>
        <source>No card reader is connected.</source>
        <translation>カードリーダーが接続されていません。</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>番号</translation>
    </message>
    <message>
        <source>Nobody is signed in: sign in with your staff card first.</source>
        <translation>操作者がサインインしていません。先に職員カードでサインインしてください。</translation>
    </message>
    <message>
        <source>Not checked yet.</source>
        <translation>まだ確認していません。</translation>
    </message>
    <message>
        <source>Not checked: a face check is using the camera.</source>
        <translation>未確認：顔照合がカメラを使用中です。</translation>
    </message>
    <message>
        <source>Not issued</source>
        <translation>発行されず</translation>
    </message>
    <message>
        <source>Nothing</source>
        <translation>なし</translation>
    </message>
    <message>
        <source>Nothing changed: it was already so.</source>
        <translation>変更はありません（すでにその状態です）。</translation>
    </message>
    <message>
        <source>Nothing is waiting to be sent.</source>
        <translation>送信待ちはありません。</translation>
    </message>
    <message>
        <source>Nothing is waiting: every message has gone out and every certificate is finished. (%1)</source>
        <translation>残っている処理はありません。すべてのメッセージが送信され、すべての証明書が完了しています。（%1）</translation>
    </message>
    <message>
        <source>Only a signed-in operator can change this: sign in with your staff card.</source>
        <translation>変更できるのはサインインした操作者だけです。職員カードでサインインしてください。</translation>
    </message>
    <message>
        <source>Other (see the staff log)</source>
        <translation>その他（職員の記録を参照）</translation>
    </message>
    <message>
        <source>Out of service: residents cannot use this terminal.</source>
        <translation>休止中：住民はこの端末を利用できません。</translation>
    </message>
    <message>
        <source>Paid (エ)</source>
        <translation>有償</translation>
    </message>
    <message>
        <source>Passed to another terminal</source>
        <translation>他端末へ引継ぎ</translation>
    </message>
    <message>
        <source>Pending work</source>
        <translation>未完了の処理</translation>
    </message>
    <message>
        <source>Put back in service</source>
        <translation>運用を再開する</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>登録日時</translation>
    </message>
    <message>
        <source>Read back from the card</source>
        <translation>カードから読み戻し済み</translation>
    </message>
    <message>
        <source>Read the card back and confirm</source>
        <translation>カードを読み戻して確認する</translation>
    </message>
    <message>
        <source>Reading the mode…</source>
        <translation>運用状態を読み込んでいます…</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Recording the exit…</source>
        <translation>終了を記録しています…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>要求日時</translation>
    </message>
    <message>
        <source>Requests answered by 機構 (イ)</source>
        <translation>発行のための通信件数</translation>
    </message>
    <message>
        <source>Requests made</source>
        <translation>発行要求件数</translation>
    </message>
    <message>
        <source>Revoke and record as destroyed (破棄)</source>
        <translation>失効させて破棄として記録する</translation>
    </message>
    <message>
        <source>Revoked as destroyed (破棄)</source>
        <translation>破棄（失効済み）</translation>
    </message>
    <message>
        <source>Send now</source>
        <translation>今すぐ送信</translation>
    </message>
    <message>
        <source>Send the confirmation to 機構</source>
        <translation>機構へ確認を送る</translation>
    </message>
    <message>
        <source>Signing</source>
        <translation>署名用</translation>
    </message>
    <message>
        <source>Signing certificate</source>
        <translation>署名用電子証明書</translation>
    </message>
    <message>
        <source>Since %1, set by %2.</source>
        <translation>%1 から（%2 が設定）。</translation>
    </message>
    <message>
        <source>Since %1, set by %2. Reason: %3.</source>
        <translation>%1 から（%2 が設定）。理由：%3。</translation>
    </message>
    <message>
        <source>Something is not working: see below.</source>
        <translation>異常があります。下をご覧ください。</translation>
    </message>
    <message>
        <source>Something needs attention: see below.</source>
        <translation>要確認の項目があります。下をご覧ください。</translation>
    </message>
    <message>
        <source>Staff must sign in to export the ledger.</source>
        <translation>交付記録簿を書き出すには、職員のサインインが必要です。</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>段階</translation>
    </message>
    <message>
        <source>Suspected misuse under investigation (規則 70-7)</source>
        <translation>不正利用の疑いによる調査中（規則第70条の7）</translation>
    </message>
    <message>
        <source>Take out of service</source>
        <translation>運用を休止する</translation>
    </message>
    <message>
        <source>Taken over from another terminal</source>
        <translation>他端末から引継ぎ</translation>
    </message>
    <message>
        <source>Terminal health</source>
        <translation>端末の状態</translation>
    </message>
    <message>
        <source>The CSV file %1 could not be written. Choose another place.</source>
        <translation>CSVファイル %1 を書き込めませんでした。別の場所を選んでください。</translation>
    </message>
    <message>
        <source>The camera cannot be opened.</source>
        <translation>カメラを開けません。</translation>
    </message>
    <message>
        <source>The camera could not be checked.</source>
        <translation>カメラを確認できませんでした。</translation>
    </message>
    <message>
        <source>The camera gives no picture.</source>
        <translation>カメラから映像が届きません。</translation>
    </message>
    <message>
        <source>The camera is not working</source>
        <translation>カメラの故障</translation>
    </message>
    <message>
        <source>The camera stopped working.</source>
        <translation>カメラが停止しました。</translation>
    </message>
    <message>
        <source>The camera works.</source>
        <translation>カメラは正常です。</translation>
    </message>
    <message>
        <source>The card reader could not be checked.</source>
        <translation>カードリーダーを確認できませんでした。</translation>
    </message>
    <message>
        <source>The card reader is connected.</source>
        <translation>カードリーダーは接続されています。</translation>
    </message>
    <message>
        <source>The card reader is not working</source>
        <translation>カードリーダーの故障</translation>
    </message>
    <message>
        <source>The card reader service (pcscd) is not available.</source>
        <translation>カードリーダーのサービス（pcscd）を利用できません。</translation>
    </message>
    <message>
        <source>The central (機構) answers slowly.</source>
        <translation>機構の応答が遅くなっています。</translation>
    </message>
    <message>
        <source>The central (機構) answers.</source>
        <translation>機構は応答しています。</translation>
    </message>
    <message>
        <source>The central (機構) cannot be reached</source>
        <translation>機構に接続できない</translation>
    </message>
    <message>
        <source>The central (機構) cannot be reached.</source>
        <translation>機構に接続できません。</translation>
    </message>
    <message>
        <source>The central (機構) could not be checked.</source>
        <translation>機構を確認できませんでした。</translation>
    </message>
    <message>
        <source>The central (機構) refuses this terminal.</source>
        <translation>機構がこの端末を受け付けていません。</translation>
    </message>
    <message>
        <source>The central&apos;s (機構) answer could not be verified.</source>
        <translation>機構の応答を検証できませんでした。</translation>
    </message>
    <message>
        <source>The change was refused; nothing was changed.</source>
        <translation>変更は受け付けられませんでした。何も変更されていません。</translation>
    </message>
    <message>
        <source>The checks could not be run.</source>
        <translation>確認を実行できませんでした。</translation>
    </message>
    <message>
        <source>The data folder is missing.</source>
        <translation>データフォルダーがありません。</translation>
    </message>
    <message>
        <source>The disk is full: %1 left.</source>
        <translation>ディスクの空きがありません（残り %1）。</translation>
    </message>
    <message>
        <source>The disk space could not be checked.</source>
        <translation>ディスク容量を確認できませんでした。</translation>
    </message>
    <message>
        <source>The exit could not be recorded, so the kiosk keeps running. Try again.</source>
        <translation>終了を記録できなかったため、キオスクは動作を続けます。もう一度お試しください。</translation>
    </message>
    <message>
        <source>The ledger could not be read from the store.</source>
        <translation>交付記録簿をデータベースから読み出せませんでした。</translation>
    </message>
    <message>
        <source>The ledger was saved to %1.</source>
        <translation>交付記録簿を %1 に保存しました。</translation>
    </message>
    <message>
        <source>The messages waiting to be sent could not be counted.</source>
        <translation>送信待ちのメッセージを数えられませんでした。</translation>
    </message>
    <message>
        <source>The office is closed</source>
        <translation>閉庁中</translation>
    </message>
    <message>
        <source>The pending work could not be read from the store.</source>
        <translation>未完了の処理をデータベースから読み出せませんでした。</translation>
    </message>
    <message>
        <source>The terminal&apos;s card reader is not connected.</source>
        <translation>この端末のカードリーダーが接続されていません。</translation>
    </message>
    <message>
        <source>The terminal&apos;s mode could not be read or saved. Try again.</source>
        <translation>端末の運用状態を読み出し・保存できませんでした。もう一度お試しください。</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <source>Unchanged for</source>
        <translation>変化のない期間</translation>
    </message>
    <message>
        <source>User auth.</source>
        <translation>利用者証明</translation>
    </message>
    <message>
        <source>User authentication certificate</source>
        <translation>利用者証明用電子証明書</translation>
    </message>
    <message>
        <source>Wait for the card to come back</source>
        <translation>カードの再提示を待つ</translation>
    </message>
    <message>
        <source>Wait for 機構&apos;s answer</source>
        <translation>機構の応答を待つ</translation>
    </message>
    <message>
        <source>Waiting for</source>
        <translation>待ち時間</translation>
    </message>
    <message>
        <source>Write the certificate to the card</source>
        <translation>証明書をカードに書き込む</translation>
    </message>
    <message>
        <source>Writing the CSV file…</source>
        <translation>CSVファイルを書き込んでいます…</translation>
    </message>
    <message>
        <source>Written to the card</source>
        <translation>カード書込み済み</translation>
    </message>
    <message>
        <source>needs attention</source>
        <translation>要確認</translation>
    </message>
    <message>
        <source>not checked</source>
        <translation>未確認</translation>
    </message>
    <message>
        <source>not working</source>
        <translation>異常</translation>
    </message>
    <message>
        <source>of which written here</source>
        <translation>うち交付</translation>
    </message>
    <message>
        <source>under a minute</source>
        <translation>1分未満</translation>
    </message>
    <message>
        <source>works</source>
        <translation>正常</translation>
    </message>
</context>
<context>
    <name>Counter</name>
    <message>
        <source>%1 (from %2)</source>
        <translation>%1（%2から）</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Ask to see what the certification centre records about your certificates, or ask it to correct what it disclosed to you. Staff give you the form&apos;s copy.</source>
        <translation>機構が記録しているあなたの電子証明書に関する情報の開示、または開示された内容の訂正を請求できます。請求書の控えは職員がお渡しします。</translation>
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
        <source>Cancelling. Staff are finishing a step on your card; this takes a moment.</source>
        <translation>中止しています。職員がカードの処理を終えるまで、少しお待ちください。</translation>
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
        <source>Continue with new certificates</source>
        <translation>続けて新しい電子証明書を発行する</translation>
    </message>
    <message>
        <source>Correction (訂正請求)</source>
        <translation>訂正請求</translation>
    </message>
    <message>
        <source>Disclosure (開示請求)</source>
        <translation>開示請求</translation>
    </message>
    <message>
        <source>Disclosure or correction</source>
        <translation>開示・訂正の請求</translation>
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
        <source>Face check</source>
        <translation>顔認証</translation>
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
        <source>High contrast: %1</source>
        <translation>高コントラスト：%1</translation>
    </message>
    <message>
        <source>I do not know this PIN</source>
        <translation>暗証番号がわからない</translation>
    </message>
    <message>
        <source>Insert your card</source>
        <translation>カードを差し込んでください</translation>
    </message>
    <message>
        <source>Large text: %1</source>
        <translation>大きな文字：%1</translation>
    </message>
    <message>
        <source>Lifting the suspension of your card…</source>
        <translation>カードの一時停止を解除しています…</translation>
    </message>
    <message>
        <source>Look at the camera. Your face is compared with the photo on your card&apos;s chip; no picture is kept.</source>
        <translation>カメラを見てください。お顔をカードのICチップ内の写真と照合します。画像は保存しません。</translation>
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
        <source>Please hand your card and an identity document to the staff member. Leave the card in the reader; the screen continues when staff have checked.</source>
        <translation>カードと本人確認書類を職員にお見せください。カードはリーダーに差し込んだままにしてください。職員の確認が終わると画面が進みます。</translation>
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
        <source>Printed</source>
        <translation>印刷しました</translation>
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
        <source>Revoked (it was on hold): %1, serial number %2.</source>
        <translation>失効しました（一時保留中でした）：%1、シリアル番号 %2</translation>
    </message>
    <message>
        <source>Sending your request…</source>
        <translation>請求を送信しています…</translation>
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
        <source>Staff will check your identity</source>
        <translation>職員が本人確認をします</translation>
    </message>
    <message>
        <source>Staff: key in the PIN from the sealed PIN request form; the proxy must not see it.</source>
        <translation>職員の方へ：封をした暗証番号設定依頼書の暗証番号を入力してください。代理人に見せないでください。</translation>
    </message>
    <message>
        <source>Switch</source>
        <translation>切り替える</translation>
    </message>
    <message>
        <source>Switch to a face-auth card</source>
        <translation>顔認証マイナンバーカードに切り替える</translation>
    </message>
    <message>
        <source>Switch to a face-auth card?</source>
        <translation>顔認証マイナンバーカードに切り替えますか？</translation>
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
        <source>The certification centre cannot be reached right now, so this could not be done. Nothing was changed on your card. Please try again later, or ask staff.</source>
        <translation>現在、機構と通信できないため、この手続はできませんでした。カードには何も変更していません。後ほどもう一度お試しいただくか、職員にお声がけください。</translation>
    </message>
    <message>
        <source>The certification centre has your request but has not issued the certificate yet. Insert your card again later to have it written; staff can tell you when it is ready.</source>
        <translation>申請は機構に届いていますが、電子証明書はまだ発行されていません。後ほどカードを再び差し込むと、カードに書き込みます。準備ができたかどうかは職員にお尋ねください。</translation>
    </message>
    <message>
        <source>The connection to the certification centre is down. What needs it cannot be done now; requests that can wait are sent as soon as it is back.</source>
        <translation>地方公共団体情報システム機構との通信ができません。通信が必要な手続は今はできません。後から送信できる申請は、通信が戻りしだい送信します。</translation>
    </message>
    <message>
        <source>The receipt could not be printed. Please ask staff.</source>
        <translation>控えを印刷できませんでした。職員にお声がけください。</translation>
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
        <source>Your signing certificate will be revoked and your user authentication PIN set to a random value and locked. From then on, the card is used with your face instead of a PIN.</source>
        <translation>署名用電子証明書は失効し、利用者証明用電子証明書の暗証番号は無作為の値に設定されてロックされます。以後、カードは暗証番号の代わりに顔で利用します。</translation>
    </message>
    <message>
        <source>off</source>
        <translation>オフ</translation>
    </message>
    <message>
        <source>on</source>
        <translation>オン</translation>
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
    <name>Eligibility</name>
    <message>
        <source>A child under 1 year (特定年齢未満) cannot have a face-auth card (顔認証カード): apply for a normal card.</source>
        <translation>1歳未満のお子さま（特定年齢未満）は、顔認証マイナンバーカードにできません。通常のカードで申請してください。</translation>
    </message>
    <message>
        <source>A child under 1 year (特定年齢未満) gets the user-authentication certificate (利用者証明用電子証明書) only.</source>
        <translation>1歳未満のお子さま（特定年齢未満）には、利用者証明用電子証明書だけを発行します。</translation>
    </message>
    <message>
        <source>A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書).</source>
        <translation>顔認証マイナンバーカードには署名用電子証明書を搭載できません。</translation>
    </message>
    <message>
        <source>A proxy (任意代理人) cannot apply for an applicant under 15 or an adult ward (成年被後見人): the legal representative (法定代理人) must apply.</source>
        <translation>15歳未満の方や成年被後見人の方の申請は、任意代理人ではできません。法定代理人が申請してください。</translation>
    </message>
    <message>
        <source>Allowed (受付可).</source>
        <translation>受付可能です。</translation>
    </message>
    <message>
        <source>Allowed: the legal representative (法定代理人) came with the applicant and both confirmed the wish to apply (申請の意思).</source>
        <translation>受付可能です。法定代理人が申請者と一緒に来られ、お二人の申請の意思を確認しました。</translation>
    </message>
    <message>
        <source>An applicant aged 15 or over who is not an adult ward applies in person or through a proxy with a letter of attorney (委任状), not through a legal representative (法定代理人).</source>
        <translation>15歳以上で成年被後見人でない方は、法定代理人ではなく、ご本人か、委任状をお持ちの任意代理人が申請してください。</translation>
    </message>
    <message>
        <source>An applicant under 15 or an adult ward (成年被後見人) cannot apply alone: the legal representative (法定代理人) must apply.</source>
        <translation>15歳未満の方や成年被後見人の方は、ご本人だけでは申請できません。法定代理人が申請してください。</translation>
    </message>
    <message>
        <source>Applicant&apos;s identity (本人確認): one photo ID, or two other documents and the inquiry answer (照会回答書).</source>
        <translation>申請者の本人確認：顔写真付きの本人確認書類1点、またはそれ以外の書類2点と照会回答書。</translation>
    </message>
    <message>
        <source>Inquiry answer (照会回答書) the city or J-LIS sent to the applicant.</source>
        <translation>市またはJ-LISから申請者に送付された照会回答書。</translation>
    </message>
    <message>
        <source>Legal representative&apos;s (法定代理人) identity: one photo ID, or two other documents and the inquiry answer (照会回答書).</source>
        <translation>法定代理人の本人確認：顔写真付きの本人確認書類1点、またはそれ以外の書類2点と照会回答書。</translation>
    </message>
    <message>
        <source>Letter of attorney (委任状) signed, or name written and sealed, by the applicant.</source>
        <translation>申請者が署名した、または記名・押印した委任状。</translation>
    </message>
    <message>
        <source>PIN request form (暗証番号設定依頼書) still sealed in its envelope or under the concealment sticker (隠ぺいシール): staff open it and enter the PIN.</source>
        <translation>封筒に封入されたまま、または隠ぺいシールが貼られたままの暗証番号設定依頼書：職員が開封して暗証番号を入力します。</translation>
    </message>
    <message>
        <source>Parental authority (親権者): a family register copy (戸籍謄本), unless the city&apos;s records (市の公簿) show it.</source>
        <translation>親権者であることの確認：戸籍謄本（市の公簿で確認できる場合は不要）。</translation>
    </message>
    <message>
        <source>The applicant&apos;s and the legal representative&apos;s wish to apply for the signing certificate (申請の意思), confirmed in person.</source>
        <translation>署名用電子証明書についての、申請者と法定代理人の申請の意思：対面で確認。</translation>
    </message>
    <message>
        <source>The guardian&apos;s power of representation (代理権): a certificate of registered matters (登記事項証明書) or the like.</source>
        <translation>後見人の代理権の確認：登記事項証明書など。</translation>
    </message>
    <message>
        <source>The proxy&apos;s (任意代理人) own photo ID (顔写真付き本人確認書類).</source>
        <translation>任意代理人ご自身の顔写真付き本人確認書類。</translation>
    </message>
    <message>
        <source>The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward is issued only when the applicant comes with the legal representative (法定代理人).</source>
        <translation>15歳未満の方や成年被後見人の方の署名用電子証明書は、ご本人が法定代理人と一緒に来られた場合に限り発行します。</translation>
    </message>
    <message>
        <source>The signing certificate (署名用電子証明書) for an applicant under 15 or an adult ward needs both the applicant&apos;s and the legal representative&apos;s wish to apply (申請の意思) confirmed.</source>
        <translation>15歳未満の方や成年被後見人の方の署名用電子証明書には、ご本人と法定代理人の両方の申請の意思の確認が必要です。</translation>
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
    <name>Identity</name>
    <message>
        <source>A Basic Resident Register card without photo counts only when its PIN is checked successfully.</source>
        <translation>写真のない住民基本台帳カードは、暗証番号の照合に成功した場合にだけ使えます（暗証番号を照合できる場合に限る）。</translation>
    </message>
    <message>
        <source>A letter of attorney signed (or named and sealed) by the applicant is required.</source>
        <translation>申請者が署名した（または記名・押印した）委任状が必要です（委任状の未提出）。</translation>
    </message>
    <message>
        <source>A proxy must identify themself with a document from the photo-ID list (要綱2-5).</source>
        <translation>任意代理人の方の本人確認には、顔写真付きの本人確認書類（要綱2-5の一覧の書類）が必要です（任意代理人は第5項の書類に限る）。</translation>
    </message>
    <message>
        <source>A smartphone screen is accepted only when the physical document cannot reasonably be shown.</source>
        <translation>スマートフォンの画面での提示は、実物の書類を見せていただくことが難しい場合だけ受け付けます（書類の提示を受けることが困難である場合に限る）。</translation>
    </message>
    <message>
        <source>Show one valid document from the photo-ID list, or two different documents from the other list together with the mailed inquiry answer.</source>
        <translation>本人確認書類の不足です。有効な顔写真付きの書類を1点、または、その他の書類の一覧から種類の違う書類を2点と、郵送された照会回答書をお見せください。</translation>
    </message>
    <message>
        <source>Staff must have the person operate the app before its screen is accepted.</source>
        <translation>画面を受け付ける前に、職員がご本人にアプリを操作していただく必要があります（映像面の操作を求める措置）。</translation>
    </message>
    <message>
        <source>The My Number card has expired; within 6 months of expiry it is accepted only after staff confirm that its photo shows the person present.</source>
        <translation>有効期間満了後の個人番号カード（写真との同一性未確認）です。満了から6か月以内であれば、写真がご本人であることを職員が確認した場合に限り使えます。</translation>
    </message>
    <message>
        <source>The PIN check counts only after the staff member has signed in on the terminal.</source>
        <translation>暗証番号の照合は、職員が端末にサインインした後でなければ有効になりません（統合端末の操作者の認証）。</translation>
    </message>
    <message>
        <source>The PIN setting request form must be sealed in an envelope or covered with a concealment sticker, so the proxy cannot read the PIN.</source>
        <translation>任意代理人が暗証番号を見られないよう、暗証番号設定依頼書は封筒に入れて封をするか、隠ぺいシールを貼ってある必要があります（暗証番号設定依頼書の封入・封緘又は隠ぺいシール）。</translation>
    </message>
    <message>
        <source>The applicant&apos;s PIN setting request form is required.</source>
        <translation>申請者の暗証番号設定依頼書が必要です（暗証番号設定依頼書の未提出）。</translation>
    </message>
    <message>
        <source>The card is not in operation (for example suspended or cancelled).</source>
        <translation>カードの運用状況が運用中ではありません（一時停止や廃止など）。</translation>
    </message>
    <message>
        <source>The card&apos;s resident-register (住基) PIN has not been checked on the terminal yet.</source>
        <translation>カードの住民基本台帳用暗証番号の照合を、まだ端末で行っていません（暗証番号の照合未実施）。</translation>
    </message>
    <message>
        <source>The details on the application do not match a person on the resident register.</source>
        <translation>申請書の記載内容に一致する方が、住民基本台帳に記録されていない状態です。</translation>
    </message>
    <message>
        <source>The document is past its validity period.</source>
        <translation>この本人確認書類は有効期間外です。</translation>
    </message>
    <message>
        <source>The driving history certificate&apos;s issue date does not fit this list (photo ID if issued on or after 1 April 2012, other document if issued earlier), or it was not entered.</source>
        <translation>運転経歴証明書の交付年月日の条件に合わないか、交付年月日が入力されていません（平成24年4月1日以後の交付なら顔写真付きの書類、それより前ならその他の書類です）。</translation>
    </message>
    <message>
        <source>The inquiry answer (照会回答書) mailed to the resident&apos;s address is required.</source>
        <translation>住所あてに郵送された照会回答書が必要です（照会回答書の未提出）。</translation>
    </message>
    <message>
        <source>The proxy has not shown a valid photo ID of their own.</source>
        <translation>任意代理人ご自身の有効な顔写真付き本人確認書類が提示されていません（任意代理人の本人確認書類の不足）。</translation>
    </message>
    <message>
        <source>This Basic Resident Register card was issued before 20 April 2009 (or its issue date was not entered), so it has no surface data to compare without the PIN (cannot accept).</source>
        <translation>この住民基本台帳カードは平成21年4月20日より前の交付（または交付年月日が未入力）のため、暗証番号を照合せずに券面の情報を確かめることができず、受け付けられません（平成21年4月20日以後に交付された住基カードに限る）。</translation>
    </message>
    <message>
        <source>This document cannot be shown on a smartphone; only a student ID, a company ID or a bankbook app may be.</source>
        <translation>この書類は映像面の提示を認めない書類です（スマートフォンの画面では受け付けられません）。スマートフォンで提示できるのは、学生証、社員証、預金通帳のアプリに限られます。</translation>
    </message>
    <message>
        <source>Without a PIN check, the person must also correctly state details of their resident record; they did not (cannot accept).</source>
        <translation>暗証番号を照合しない場合は、住民票の記載事項をご本人に正しく申告していただく必要もありますが、正しく申告されなかったため受け付けられません（住民票の記載事項の申告）。</translation>
    </message>
    <message>
        <source>Without a PIN check, the surface data in the card&apos;s chip must match the printed card; it does not (cannot accept).</source>
        <translation>暗証番号を照合しない場合は、ICチップの情報と券面の記載が一致している必要がありますが、一致しないため受け付けられません（券面事項確認情報と券面記載事項の不一致）。</translation>
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
        <translation>全消去</translation>
    </message>
    <message>
        <source>Delete</source>
        <extracomment>Keypad key that deletes the last character typed.</extracomment>
        <translation>訂正</translation>
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
    <message>
        <source>verification number B</source>
        <translation>照合番号B</translation>
    </message>
</context>
<context>
    <name>Reason</name>
    <message>
        <source>A change needs the current PIN (従来の暗証番号), which you said you have forgotten: reset it (再設定) instead.</source>
        <translation>変更には従来の暗証番号が必要ですが、お忘れとのことです。代わりに再設定をお選びください。</translation>
    </message>
    <message>
        <source>A face-auth card (顔認証カード) carries no signing certificate (署名用電子証明書): resetting the user-authentication PIN first makes it a normal card.</source>
        <translation>顔認証マイナンバーカードには署名用電子証明書を搭載できません。先に利用者証明用電子証明書の暗証番号を再設定すると、通常のカードに戻ります。</translation>
    </message>
    <message>
        <source>A face-auth card needs a valid user-authentication certificate (利用者証明用電子証明書): it is issued first, with the face-auth wish ticked on the form.</source>
        <translation>顔認証マイナンバーカードには、有効な利用者証明用電子証明書が必要です。申請書で顔認証マイナンバーカードの希望に印を付けて、先に発行します。</translation>
    </message>
    <message>
        <source>After the suspension is lifted, new certificates (新規発行) can be issued in the same visit.</source>
        <translation>一時停止を解除した後、続けて電子証明書の新規発行ができます。</translation>
    </message>
    <message>
        <source>Available (受付可).</source>
        <translation>受付可能です。</translation>
    </message>
    <message>
        <source>If the card has been found: its held certificates (一時保留) are revoked and the card goes back into operation (運用中); new certificates can then be issued.</source>
        <translation>カードが見つかった場合の手続きです。一時保留になっている電子証明書は失効し、カードは運用中に戻ります。その後、新しい電子証明書を発行できます。</translation>
    </message>
    <message>
        <source>If you have forgotten this PIN, it can be reset (再設定) after the identity check; there is no need to lock it first.</source>
        <translation>この暗証番号をお忘れの場合は、本人確認の後、再設定ができます。先にロックさせる必要はありません。</translation>
    </message>
    <message>
        <source>On a face-auth card (顔認証カード) the user-authentication PIN is random and locked: it cannot be changed, only reset, which makes the card a normal card.</source>
        <translation>顔認証マイナンバーカードの利用者証明用電子証明書の暗証番号は、ランダムに設定されてロックされています。変更はできず、再設定だけができます。再設定すると通常のカードになります。</translation>
    </message>
    <message>
        <source>One try left: a wrong current PIN now locks it (ロック). If you are not sure of it, reset it instead.</source>
        <translation>残り1回です。現在の暗証番号をここで間違えるとロックされます。自信がない場合は、代わりに再設定をお選びください。</translation>
    </message>
    <message>
        <source>Renewal (更新) opens three months before the certificate ends, on the date shown.</source>
        <translation>更新の受付は、電子証明書の有効期間が終わる日の3か月前（表示の日付）から始まります。</translation>
    </message>
    <message>
        <source>Renewal keeps the current PIN (従来の暗証番号), which is locked or forgotten: it is reset (再設定) first, then the certificate renewed.</source>
        <translation>更新では従来の暗証番号をそのまま使いますが、その暗証番号はロックされているか、お忘れになっています。先に暗証番号を再設定してから、電子証明書を更新します。</translation>
    </message>
    <message>
        <source>Resetting the user-authentication PIN of a face-auth card (顔認証カード) makes it a normal card again, usable with a PIN.</source>
        <translation>顔認証マイナンバーカードの利用者証明用電子証明書の暗証番号を再設定すると、暗証番号で使える通常のカードに戻ります。</translation>
    </message>
    <message>
        <source>Switching revokes the valid signing certificate (署名用電子証明書の失効) and locks the user-authentication PIN.</source>
        <translation>切り替えると、有効な署名用電子証明書の失効と、利用者証明用電子証明書の暗証番号のロックが行われます。</translation>
    </message>
    <message>
        <source>The PIN is locked (ロック) after too many wrong entries: a change needs the current PIN, so reset it (再設定) instead.</source>
        <translation>入力の誤りが続いたため、暗証番号がロックされています。変更には現在の暗証番号が必要なため、代わりに再設定をお選びください。</translation>
    </message>
    <message>
        <source>The PIN is locked (ロック): it can be reset (初期化・再設定) after the identity check.</source>
        <translation>暗証番号がロックされています。本人確認の後、初期化・再設定ができます。</translation>
    </message>
    <message>
        <source>The card already is a face-auth card (顔認証カード).</source>
        <translation>このカードは、すでに顔認証マイナンバーカードです。</translation>
    </message>
    <message>
        <source>The card expired less than 6 months ago: it serves as your identity document (本人確認書類) only if staff confirm that its photo shows you.</source>
        <translation>このカードは有効期限が切れてから6か月以内です。職員が顔写真でご本人と確認できた場合に限り、本人確認書類として使えます。</translation>
    </message>
    <message>
        <source>The card failed the authenticity check (真正性の確認): please ask a member of staff.</source>
        <translation>このカードは真正性の確認（正規に発行されたカードかどうかの確認）を通りませんでした。職員をお呼びください。</translation>
    </message>
    <message>
        <source>The card has been cancelled (廃止) and its certificates no longer count: a new card is needed.</source>
        <translation>このカードは廃止されているため、電子証明書も使えません。新しいカードが必要です。</translation>
    </message>
    <message>
        <source>The card holds a valid certificate (有効な電子証明書): it is revoked (失効) first, then a new one is issued in the same visit.</source>
        <translation>カードに有効な電子証明書が入っています。先にその電子証明書を失効させてから、続けて新しいものを発行します。</translation>
    </message>
    <message>
        <source>The card holds no such certificate (電子証明書なし).</source>
        <translation>このカードには、この電子証明書が入っていません（電子証明書なし）。</translation>
    </message>
    <message>
        <source>The card is in operation (運用中): there is no suspension to lift.</source>
        <translation>このカードは運用中です。解除する一時停止はありません。</translation>
    </message>
    <message>
        <source>The card is past its expiry date (有効期限切れ) and its certificates count as revoked: a new card is needed first.</source>
        <translation>このカードは有効期限切れのため、電子証明書も失効したものとして扱われます。先に新しいカードが必要です。</translation>
    </message>
    <message>
        <source>The card is suspended (一時停止) after a loss report: if it has been found, lift the suspension first; other procedures can be chosen afterwards.</source>
        <translation>紛失の届出により、このカードは一時停止されています。カードが見つかった場合は、先に一時停止を解除してください。ほかの手続きはその後で選べます。</translation>
    </message>
    <message>
        <source>The card&apos;s authenticity (真正性) could not be checked: please ask a member of staff.</source>
        <translation>カードの真正性（正規に発行されたカードかどうか）を確認できませんでした。職員をお呼びください。</translation>
    </message>
    <message>
        <source>The card&apos;s status (運用状況) cannot be checked while 機構 is not reachable.</source>
        <translation>機構（J-LIS）に接続できないため、カードの運用状況を確認できません。</translation>
    </message>
    <message>
        <source>The certificate already runs to the card&apos;s expiry date (カードの有効期間満了日): a renewed one could not last longer. The card itself must be renewed first.</source>
        <translation>この電子証明書の有効期間は、すでにカードの有効期間満了日までです。更新しても期間は延びないため、先にカード自体の更新が必要です。</translation>
    </message>
    <message>
        <source>The certificate ends within three months: it can be renewed (更新), keeping the current PIN (従来の暗証番号).</source>
        <translation>この電子証明書の有効期間は3か月以内に終わります。従来の暗証番号のまま更新できます。</translation>
    </message>
    <message>
        <source>The certificate has been revoked (失効済み).</source>
        <translation>この電子証明書は失効済みです。</translation>
    </message>
    <message>
        <source>The certificate is past its validity (有効期間満了) and has lost effect.</source>
        <translation>この電子証明書は有効期間満了により、効力を失っています。</translation>
    </message>
    <message>
        <source>The certificate is valid and in its renewal window: renew it (更新) instead; that keeps the PIN.</source>
        <translation>この電子証明書は有効で、更新できる期間に入っています。新規発行ではなく更新をお選びください。更新では暗証番号はそのままです。</translation>
    </message>
    <message>
        <source>The certificate this PIN protects is missing, revoked or expired: a new certificate (新規発行) comes with a new PIN.</source>
        <translation>この暗証番号で守る電子証明書が、入っていないか、失効しているか、有効期間が過ぎています。電子証明書の新規発行のときに、新しい暗証番号を設定します。</translation>
    </message>
    <message>
        <source>The certificate&apos;s serial number (シリアル番号) is needed to revoke it: without its PIN only 機構 can supply it.</source>
        <translation>失効させるには電子証明書のシリアル番号が必要です。暗証番号を入力できない場合、シリアル番号は機構（J-LIS）からしか得られません。</translation>
    </message>
    <message>
        <source>The certificate&apos;s serial number (シリアル番号) is read from the card after its PIN is entered.</source>
        <translation>電子証明書のシリアル番号は、暗証番号を入力した後にカードから読み取ります。</translation>
    </message>
    <message>
        <source>The signing certificate can be read only after its PIN (署名用パスワード): its dates are checked then, at the start of the renewal.</source>
        <translation>署名用電子証明書は、署名用パスワードを入力した後でないと読み取れません。有効期間は、更新の最初にパスワードを入力したときに確認します。</translation>
    </message>
    <message>
        <source>This card cannot serve as your identity document (本人確認書類): please show another one.</source>
        <translation>このカードは本人確認書類として使えません。ほかの本人確認書類をお見せください。</translation>
    </message>
    <message>
        <source>To stay a face-auth card (顔認証カード), staff set a random PIN and lock it again.</source>
        <translation>顔認証マイナンバーカードのままにするため、職員がランダムな暗証番号を設定して、再びロックします。</translation>
    </message>
    <message>
        <source>You said you have forgotten this PIN: it can be reset (再設定) after the identity check.</source>
        <translation>この暗証番号をお忘れとのことです。本人確認の後、再設定ができます。</translation>
    </message>
    <message>
        <source>機構 cannot be reached now, and this needs it online: please try again later.</source>
        <translation>現在、機構（J-LIS）に接続できません。この手続きには接続が必要なため、時間をおいてもう一度お試しください。</translation>
    </message>
    <message>
        <source>機構 cannot be reached now: the request is taken and sent as soon as the link is back (送信待ち).</source>
        <translation>現在、機構（J-LIS）に接続できません。申請はお受けし、接続が戻りしだい送信します（送信待ち）。</translation>
    </message>
</context>
<context>
    <name>Receipt</name>
    <message>
        <source>Terminal %1, printed %2</source>
        <translation>端末 %1&#x3000;印刷日時 %2</translation>
    </message>
</context>
<context>
    <name>Staff</name>
    <message>
        <source>%1 %2 tries left before the staff card locks.</source>
        <translation>%1 職員カードがロックされるまで、あと%2回です。</translation>
    </message>
    <message>
        <source>%1 1 try left before the staff card locks.</source>
        <translation>%1 職員カードがロックされるまで、あと1回です。</translation>
    </message>
    <message>
        <source>An override needs your staff card and PIN again. Enter the PIN.</source>
        <translation>この操作には、職員カードと暗証番号による再認証が必要です。暗証番号を入力してください。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>中止</translation>
    </message>
    <message>
        <source>Checking the staff card and PIN…</source>
        <translation>職員カードと暗証番号を確認しています…</translation>
    </message>
    <message>
        <source>Confirmed. The override can go ahead.</source>
        <translation>確認しました。操作を続けられます。</translation>
    </message>
    <message>
        <source>Enter your staff card&apos;s PIN (4 digits).</source>
        <translation>職員カードの暗証番号（数字4桁）を入力してください。</translation>
    </message>
    <message>
        <source>Health</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Insert your staff card into the staff reader.</source>
        <translation>職員用カードリーダーに職員カードを差し込んでください。</translation>
    </message>
    <message>
        <source>Insert your staff card to confirm the override.</source>
        <translation>操作を確定するため、職員カードを差し込んでください。</translation>
    </message>
    <message>
        <source>JPKI counter terminal</source>
        <translation>公的個人認証サービス 窓口端末</translation>
    </message>
    <message>
        <source>Ledger</source>
        <translation>交付記録簿</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>未送信</translation>
    </message>
    <message>
        <source>Reading the staff card…</source>
        <translation>職員カードを読み取っています…</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>運用</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>ログアウト</translation>
    </message>
    <message>
        <source>Sign-in</source>
        <translation>ログイン</translation>
    </message>
    <message>
        <source>Signed in as %1.</source>
        <translation>%1 としてログインしました。</translation>
    </message>
    <message>
        <source>Signed in: %1</source>
        <translation>ログイン中：%1</translation>
    </message>
    <message>
        <source>Signed out after %1 minutes without activity.</source>
        <translation>%1分間操作がなかったため、ログアウトしました。</translation>
    </message>
    <message>
        <source>Signed out after 1 minute without activity.</source>
        <translation>1分間操作がなかったため、ログアウトしました。</translation>
    </message>
    <message>
        <source>Signed out after the set time without activity.</source>
        <translation>設定された時間操作がなかったため、ログアウトしました。</translation>
    </message>
    <message>
        <source>Signed out.</source>
        <translation>ログアウトしました。</translation>
    </message>
    <message>
        <source>Signed out: a session lasts at most %1 hours.</source>
        <translation>ログアウトしました（ログインは最長%1時間です）。</translation>
    </message>
    <message>
        <source>Signed out: a session lasts at most 1 hour.</source>
        <translation>ログアウトしました（ログインは最長1時間です）。</translation>
    </message>
    <message>
        <source>Signed out: the session reached its longest allowed time.</source>
        <translation>ログアウトしました（ログインの最長時間に達しました）。</translation>
    </message>
    <message>
        <source>Signed out: the terminal&apos;s clock went back.</source>
        <translation>ログアウトしました（端末の時計が戻りました）。</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>職員</translation>
    </message>
    <message>
        <source>Staff sign-in</source>
        <translation>職員ログイン</translation>
    </message>
    <message>
        <source>The PIN is not right.</source>
        <translation>暗証番号が正しくありません。</translation>
    </message>
    <message>
        <source>The session ends after %1 min without activity.</source>
        <translation>%1分間操作がないとログアウトします。</translation>
    </message>
    <message>
        <source>The staff PIN is 4 digits. Enter it again.</source>
        <translation>職員カードの暗証番号は数字4桁です。もう一度入力してください。</translation>
    </message>
    <message>
        <source>The staff card could not be read. Insert it again; if it happens again, call the administrator.</source>
        <translation>職員カードを読み取れませんでした。差し込み直してください。繰り返す場合はシステム管理者に連絡してください。</translation>
    </message>
    <message>
        <source>The staff card was removed. Insert it again and leave it in until sign-in completes.</source>
        <translation>職員カードが抜かれました。もう一度差し込み、ログインが終わるまで抜かないでください。</translation>
    </message>
    <message>
        <source>This is another operator&apos;s staff card. The operator who is signed in must use their own card.</source>
        <translation>ほかの職員の職員カードです。ログイン中の職員ご本人のカードを使ってください。</translation>
    </message>
    <message>
        <source>This is not a staff card of this office. Insert your staff card into the staff reader.</source>
        <translation>この庁舎の職員カードではありません。職員用カードリーダーに職員カードを差し込んでください。</translation>
    </message>
    <message>
        <source>This staff card failed its check and cannot be used. Keep it aside and tell the system administrator.</source>
        <translation>この職員カードは検証に失敗したため使えません。カードを保管し、システム管理者に連絡してください。</translation>
    </message>
    <message>
        <source>This staff card has been withdrawn at this terminal. Ask the system administrator.</source>
        <translation>この職員カードはこの端末で利用停止になっています。システム管理者にお問い合わせください。</translation>
    </message>
    <message>
        <source>This staff card has expired. Ask the system administrator for a new one.</source>
        <translation>この職員カードは有効期限が切れています。システム管理者に新しいカードを依頼してください。</translation>
    </message>
    <message>
        <source>This staff card is locked after too many wrong PINs. Ask the system administrator to unlock or replace it.</source>
        <translation>暗証番号を続けて間違えたため、この職員カードはロックされています。システム管理者にロック解除か交換を依頼してください。</translation>
    </message>
    <message>
        <source>This staff card is not registered at this terminal. Ask the system administrator to enroll it.</source>
        <translation>この職員カードはこの端末に登録されていません。システム管理者に登録を依頼してください。</translation>
    </message>
    <message>
        <source>This staff card is not valid yet. Check the terminal&apos;s clock, or ask the system administrator.</source>
        <translation>この職員カードはまだ有効になっていません。端末の時計を確認するか、システム管理者にお問い合わせください。</translation>
    </message>
    <message>
        <source>Visit</source>
        <translation>受付</translation>
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
<context>
    <name>Unattended</name>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>1  Date of birth (Japanese era): YYMMDD</source>
        <extracomment>照合番号B, part 1: the date of birth as printed on the card, year in the Japanese era.</extracomment>
        <translation>1  生年月日（和暦）：年月日の6桁</translation>
    </message>
    <message>
        <source>2  Expiry year of the card: YYYY</source>
        <translation>2  カードの有効期限の年：西暦4桁</translation>
    </message>
    <message>
        <source>3  Security code, under the photo</source>
        <translation>3  セキュリティコード（顔写真の下の4桁）</translation>
    </message>
    <message>
        <source>4 digits; used to log in (マイナポータル, convenience-store certificates and others)</source>
        <translation>数字4桁。ログインに使います（マイナポータル、コンビニでの証明書交付など）</translation>
    </message>
    <message>
        <source>6 to 16 capital letters and digits; used to sign documents (e-Tax and others)</source>
        <translation>英大文字と数字の6〜16桁。電子申請の署名に使います（e-Taxなど）</translation>
    </message>
    <message>
        <source>Asking the certification centre (機構) to authorise the reset…</source>
        <translation>機構に初期化の承認を求めています…</translation>
    </message>
    <message>
        <source>Asking the certification centre (機構)…</source>
        <translation>機構に問い合わせています…</translation>
    </message>
    <message>
        <source>At the municipal counter, show your card and an identity document; staff can reset the PIN there.</source>
        <translation>市区町村の窓口で、このカードと本人確認書類をお見せください。窓口で暗証番号を初期化・再設定できます。</translation>
    </message>
    <message>
        <source>Back to the resident screen</source>
        <translation>利用者画面に戻る</translation>
    </message>
    <message>
        <source>Before you insert it, look at the front of your card: you will be asked for its expiry year (lower left) and the 4-digit security code (under the photo).</source>
        <translation>差し込む前にカードのおもて面をご確認ください。有効期限の年（左下）と4桁のセキュリティコード（顔写真の下）の入力を求められます。</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>中止しました</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was changed on your card.</source>
        <translation>中止しました。カードには何も変更していません。</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>中止しています…</translation>
    </message>
    <message>
        <source>Checking your card…</source>
        <translation>カードを確認しています…</translation>
    </message>
    <message>
        <source>Choose a new %1</source>
        <translation>新しい%1を決めてください</translation>
    </message>
    <message>
        <source>Choose the PIN to reset. To confirm who you are, you will then enter the other PIN, the one you still know.</source>
        <translation>初期化する暗証番号を選んでください。その後、ご本人の確認のため、覚えているもう一方の暗証番号を入力していただきます。</translation>
    </message>
    <message>
        <source>Close maintenance and sign out</source>
        <translation>保守を終えてサインアウト</translation>
    </message>
    <message>
        <source>Done. Use the new PIN from now on.</source>
        <translation>完了しました。今後は新しい暗証番号をお使いください。</translation>
    </message>
    <message>
        <source>Enter verification number B (照合番号B)</source>
        <translation>照合番号Bを入力してください</translation>
    </message>
    <message>
        <source>Enter your %1</source>
        <translation>%1を入力してください</translation>
    </message>
    <message>
        <source>Example: %1</source>
        <extracomment>%1 is CARD.md&apos;s example 照合番号B in its three parts (not the person&apos;s).</extracomment>
        <translation>例：%1</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>終了</translation>
    </message>
    <message>
        <source>For your My Number card&apos;s certificates. This terminal resets: %1.
You need your card, the other PIN (the one you still know) and your face in front of the camera. There is no staff here. Choose your language to start.</source>
        <translation>マイナンバーカードの電子証明書の暗証番号を初期化・再設定します。この端末で扱うもの：%1。
カード、覚えているもう一方の暗証番号、カメラでのお顔の確認が必要です。この端末に職員はいません。言語を選んで始めてください。</translation>
    </message>
    <message>
        <source>I forgot both PINs</source>
        <translation>両方とも忘れた</translation>
    </message>
    <message>
        <source>It opens your card&apos;s photo for the face check. Keep the card in the reader.</source>
        <translation>お顔の確認に使う顔写真を読み取ります。カードはリーダーに差したままにしてください。</translation>
    </message>
    <message>
        <source>JPKI PIN reset terminal</source>
        <translation>JPKI暗証番号初期化端末</translation>
    </message>
    <message>
        <source>Look at the camera, then turn your head slowly when the screen asks you to. Your face is compared with the photo in your card&apos;s chip; no picture is kept.</source>
        <translation>カメラを見てください。画面の指示があったら、ゆっくり顔の向きを変えてください。お顔をカードのICチップ内の顔写真と照合します。画像は保存しません。</translation>
    </message>
    <message>
        <source>Not possible at this terminal with this card:</source>
        <translation>このカードでは、この端末でできないもの：</translation>
    </message>
    <message>
        <source>Nothing was changed on your card.</source>
        <translation>カードには何も変更していません。</translation>
    </message>
    <message>
        <source>Please go to the municipal counter</source>
        <translation>市区町村の窓口へお越しください</translation>
    </message>
    <message>
        <source>Please take your card</source>
        <translation>カードをお取りください</translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation>控えを印刷</translation>
    </message>
    <message>
        <source>Print the receipt before you take out your card, if you want one.</source>
        <translation>控えが必要な方は、カードを抜く前に印刷してください。</translation>
    </message>
    <message>
        <source>Printed</source>
        <translation>印刷しました</translation>
    </message>
    <message>
        <source>Procedure: reset of a forgotten or locked PIN (unattended terminal)</source>
        <translation>手続き：暗証番号の初期化・再設定（無人端末）</translation>
    </message>
    <message>
        <source>Reading the photo in your card&apos;s chip…</source>
        <translation>カードのICチップから顔写真を読み取っています…</translation>
    </message>
    <message>
        <source>Reference number: %1</source>
        <translation>受付番号：%1</translation>
    </message>
    <message>
        <source>Reset a forgotten or locked PIN</source>
        <translation>忘れた・ロックされた暗証番号を再設定する</translation>
    </message>
    <message>
        <source>Reset at %1</source>
        <translation>初期化日時：%1</translation>
    </message>
    <message>
        <source>Setting your new PIN…</source>
        <translation>新しい暗証番号を設定しています…</translation>
    </message>
    <message>
        <source>The PIN could not be reset at this terminal.</source>
        <translation>この端末では暗証番号を初期化できませんでした。</translation>
    </message>
    <message>
        <source>The PIN was not correct.</source>
        <translation>暗証番号が正しくありません。</translation>
    </message>
    <message>
        <source>The PIN was not correct. This is your last try at this terminal: if it is wrong again, you will be asked to go to the municipal counter. The PIN will not lock.</source>
        <translation>暗証番号が正しくありません。この端末で入力できるのは、あと1回です。再び間違えた場合は市区町村の窓口をご案内します。暗証番号がロックされることはありません。</translation>
    </message>
    <message>
        <source>The PIN you still know is locked, so it cannot confirm who you are here.</source>
        <translation>覚えている方の暗証番号がロックされているため、この端末ではご本人を確認できません。</translation>
    </message>
    <message>
        <source>The PIN you still know was not entered correctly. This terminal stops before the last try, so that this PIN does not lock too.</source>
        <translation>覚えている方の暗証番号が正しく入力されませんでした。この暗証番号までロックされないよう、この端末は最後の1回の前で止めます。</translation>
    </message>
    <message>
        <source>The authorisation for this reset had already been used.</source>
        <translation>この初期化の承認は既に使用されていました。</translation>
    </message>
    <message>
        <source>The authorisation for this reset was not found.</source>
        <translation>この初期化の承認が見つかりませんでした。</translation>
    </message>
    <message>
        <source>The authorisation was for another card, PIN or terminal.</source>
        <translation>承認が別のカード・暗証番号・端末に対するものでした。</translation>
    </message>
    <message>
        <source>The camera could not take a picture of your face that could be checked.</source>
        <translation>照合できるお顔の画像をカメラで撮影できませんでした。</translation>
    </message>
    <message>
        <source>The card did not accept the new PIN.</source>
        <translation>カードが新しい暗証番号を受け付けませんでした。</translation>
    </message>
    <message>
        <source>The card did not accept this number. Check the three parts on the card and enter it again. If it is not accepted again, you will be asked to go to the municipal counter.</source>
        <translation>カードがこの番号を受け付けませんでした。カードの3か所を確かめて、もう一度入力してください。再び受け付けられない場合は、市区町村の窓口をご案内します。</translation>
    </message>
    <message>
        <source>The card did not accept verification number B (照合番号B).</source>
        <translation>カードが照合番号Bを受け付けませんでした。</translation>
    </message>
    <message>
        <source>The card has no valid certificate for the other PIN (%1), so that PIN cannot prove who you are.</source>
        <translation>もう一方の暗証番号（%1）に対応する有効な電子証明書がカードにないため、その暗証番号でご本人を確認できません。</translation>
    </message>
    <message>
        <source>The card is not in operation (運用中ではありません): it is suspended (一時停止), cancelled or expired.</source>
        <translation>カードが運用中ではありません（一時停止、廃止、または有効期限切れ）。</translation>
    </message>
    <message>
        <source>The card is not in operation (運用中ではありません): suspended, cancelled or expired.</source>
        <translation>カードが運用中ではありません（一時停止、廃止、または有効期限切れ）。</translation>
    </message>
    <message>
        <source>The card was being written when it was taken out: the PIN may or may not have been reset. Staff at the counter can check it.</source>
        <translation>カードへの書き込み中にカードが抜かれたため、暗証番号が初期化されたかどうか分かりません。窓口で職員が確認できます。</translation>
    </message>
    <message>
        <source>The card was taken out before the end.</source>
        <translation>手続きの終了前にカードが抜かれました。</translation>
    </message>
    <message>
        <source>The card&apos;s authenticity (真正性) could not be confirmed at this terminal.</source>
        <translation>この端末ではカードの真正性を確認できませんでした。</translation>
    </message>
    <message>
        <source>The card&apos;s authenticity (真正性) could not be confirmed.</source>
        <translation>カードの真正性を確認できませんでした。</translation>
    </message>
    <message>
        <source>The card&apos;s proof of the PIN you still know was not accepted.</source>
        <translation>覚えている方の暗証番号によるカードの証明が受け付けられませんでした。</translation>
    </message>
    <message>
        <source>The certificate of the PIN you still know is not valid, so it cannot prove who you are.</source>
        <translation>覚えている方の暗証番号の電子証明書が有効でないため、ご本人を確認できません。</translation>
    </message>
    <message>
        <source>The certification centre (機構) cannot be reached right now.</source>
        <translation>現在、機構に接続できません。</translation>
    </message>
    <message>
        <source>The certification centre (機構) cannot be reached right now. You may also try again here later.</source>
        <translation>現在、機構に接続できません。後ほどこの端末でもう一度お試しいただくこともできます。</translation>
    </message>
    <message>
        <source>The certification centre (機構) did not allow this reset.</source>
        <translation>機構がこの初期化を認めませんでした。</translation>
    </message>
    <message>
        <source>The certification centre did not accept the face check.</source>
        <translation>機構がお顔の確認結果を受け付けませんでした。</translation>
    </message>
    <message>
        <source>The certification centre has no record of this card.</source>
        <translation>機構にこのカードの記録がありません。</translation>
    </message>
    <message>
        <source>The face check could not confirm that a person was in front of the camera: a photo or a screen was shown, or the head turns did not follow the instructions.</source>
        <translation>カメラの前にご本人がいることを確認できませんでした（写真や画面が示された、または顔の向きが指示どおりに変わらなかった）。</translation>
    </message>
    <message>
        <source>The face check did not match the photo recorded in your card.</source>
        <translation>お顔がカードに記録された顔写真と一致しませんでした。</translation>
    </message>
    <message>
        <source>The front of the card, with the three parts marked</source>
        <translation>3か所に印を付けたカードのおもて面</translation>
    </message>
    <message>
        <source>The receipt could not be printed. Please note the reference number.</source>
        <translation>控えを印刷できませんでした。受付番号をお控えください。</translation>
    </message>
    <message>
        <source>The reset was cancelled.</source>
        <translation>初期化は中止されました。</translation>
    </message>
    <message>
        <source>The session ended because there was no input.</source>
        <translation>操作がなかったため終了しました。</translation>
    </message>
    <message>
        <source>The session has ended. Take your card out of the reader; the screen then starts again.</source>
        <translation>手続きは終了しました。カードをリーダーから抜いてください。画面が最初に戻ります。</translation>
    </message>
    <message>
        <source>The time allowed for this reset ran out.</source>
        <translation>初期化の制限時間を過ぎました。</translation>
    </message>
    <message>
        <source>This PIN cannot be used. Please choose another one.</source>
        <translation>この暗証番号は使えません。別の暗証番号を選んでください。</translation>
    </message>
    <message>
        <source>This card has had too many reset attempts recently. For your protection, further attempts are made at the municipal counter.</source>
        <translation>このカードは最近、初期化の試行が多すぎます。安全のため、これ以上の手続きは市区町村の窓口で行います。</translation>
    </message>
    <message>
        <source>This is a face-auth card (顔認証カード): its PINs are reset at the municipal counter.</source>
        <translation>顔認証カードです。暗証番号の初期化は市区町村の窓口で行います。</translation>
    </message>
    <message>
        <source>This terminal could not finish the reset because of a technical problem.</source>
        <translation>技術的な問題により、この端末では初期化を完了できませんでした。</translation>
    </message>
    <message>
        <source>This terminal does not reset this PIN.</source>
        <translation>この端末ではこの暗証番号を初期化できません。</translation>
    </message>
    <message>
        <source>This terminal has had too many reset attempts recently.</source>
        <translation>この端末では最近、初期化の試行が多すぎます。</translation>
    </message>
    <message>
        <source>This terminal is not registered for PIN resets.</source>
        <translation>この端末は暗証番号の初期化用に登録されていません。</translation>
    </message>
    <message>
        <source>This terminal is not registered to reset that PIN.</source>
        <translation>この端末はその暗証番号の初期化用に登録されていません。</translation>
    </message>
    <message>
        <source>This terminal is out of service. Please try again later, or go to the municipal counter.</source>
        <translation>この端末は現在休止中です。後ほどお試しいただくか、市区町村の窓口へお越しください。</translation>
    </message>
    <message>
        <source>This terminal needs the PIN you still know to confirm who you are. With both PINs forgotten, new PINs can only be set at the municipal counter.</source>
        <translation>この端末では、覚えている方の暗証番号でご本人を確認します。両方とも忘れた場合、新しい暗証番号は市区町村の窓口でのみ設定できます。</translation>
    </message>
    <message>
        <source>To confirm who you are, enter your %1, the PIN you still know. Tries you may use at this terminal: %2. It stops before the PIN would lock.</source>
        <translation>ご本人の確認のため、覚えている方の%1を入力してください。この端末で入力できる回数：%2。暗証番号がロックされる前に止めます。</translation>
    </message>
    <message>
        <source>Which PIN did you forget?</source>
        <translation>どの暗証番号を忘れましたか？</translation>
    </message>
    <message>
        <source>Your %1 has been reset. Nobody else has seen it.</source>
        <translation>%1を初期化しました。ほかの人には見えていません。</translation>
    </message>
    <message>
        <source>Your %1 has only one try left. This terminal never uses the last try, so that the PIN does not lock.</source>
        <translation>%1の残り回数が1回です。暗証番号がロックされないよう、この端末は最後の1回を使いません。</translation>
    </message>
    <message>
        <source>Your %1 is locked, so it cannot prove who you are.</source>
        <translation>%1がロックされているため、ご本人を確認できません。</translation>
    </message>
    <message>
        <source>Your PIN has been reset</source>
        <translation>暗証番号を初期化しました</translation>
    </message>
    <message>
        <source>Your identity is confirmed. Choose the new PIN and enter it twice.</source>
        <translation>ご本人であることを確認しました。新しい暗証番号を決めて、2回入力してください。</translation>
    </message>
    <message>
        <source>Your other PIN was not changed.</source>
        <translation>もう一方の暗証番号は変更していません。</translation>
    </message>
</context>
<context>
    <name>VisitPanel</name>
    <message>
        <source>%1, issued on %2</source>
        <translation>%1、交付日 %2</translation>
    </message>
    <message>
        <source>%1, no validity period</source>
        <translation>%1、有効期間なし</translation>
    </message>
    <message>
        <source>%1, on a smartphone screen</source>
        <translation>%1、スマートフォンの映像面で提示</translation>
    </message>
    <message>
        <source>%1, valid until %2</source>
        <translation>%1、有効期限 %2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>%1…</source>
        <translation>%1…</translation>
    </message>
    <message>
        <source>1–%1</source>
        <translation>1～%1</translation>
    </message>
    <message>
        <source>A face-auth card: it has no PIN the resident can use.</source>
        <translation>顔認証マイナンバーカードです。本人が使える暗証番号はありません。</translation>
    </message>
    <message>
        <source>A legal representative with the applicant (法定代理人・本人同行)</source>
        <translation>法定代理人（本人同行）</translation>
    </message>
    <message>
        <source>A legal representative without the applicant (法定代理人)</source>
        <translation>法定代理人（本人不在）</translation>
    </message>
    <message>
        <source>A moving-in or moving notification (転入届・転居届等) for the applicant was filed</source>
        <translation>申請者の転入届・転居届等の届出あり</translation>
    </message>
    <message>
        <source>A proxy (任意代理人) is applying: check the proxy&apos;s documents. The holder&apos;s PIN is not asked.</source>
        <translation>任意代理人による申請です。代理人の書類を確認してください。本人の暗証番号は入力させません。</translation>
    </message>
    <message>
        <source>A proxy is applying: read the card with 照合番号B for the application&apos;s name, address and date of birth (the proxy does not know the holder&apos;s PINs). The proxy&apos;s identity is checked with their documents below.</source>
        <translation>任意代理人による申請です。申請書の氏名・住所・生年月日は、照合番号Bでカードから読み取ってください（代理人は本人の暗証番号を知りません）。代理人の本人確認は、下の書類で行います。</translation>
    </message>
    <message>
        <source>A proxy with a letter of attorney (任意代理人)</source>
        <translation>委任状を持つ任意代理人</translation>
    </message>
    <message>
        <source>A revocation still needs the inquiry answer (要綱 3-6 does not apply 2-13).</source>
        <translation>失効申請では照会回答書が必要です（要綱3-6は2-13を準用しません）。</translation>
    </message>
    <message>
        <source>Add the document</source>
        <translation>書類を追加</translation>
    </message>
    <message>
        <source>Add the documents presented.</source>
        <translation>提示された書類を追加してください。</translation>
    </message>
    <message>
        <source>Address in the chip</source>
        <translation>ICチップ内の住所</translation>
    </message>
    <message>
        <source>An override needs your staff card and PIN again (the last check is more than 5 minutes old). Re-authenticate, then try again.</source>
        <translation>職員の判断による受付には、職員カードと暗証番号による再認証が必要です（前回の認証から5分を超えています）。再認証してから、もう一度操作してください。</translation>
    </message>
    <message>
        <source>Another reason (note it in the office&apos;s own records)</source>
        <translation>その他の理由（窓口の記録に記入してください）</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>反映</translation>
    </message>
    <message>
        <source>Cannot accept (受付不可)</source>
        <translation>受付不可</translation>
    </message>
    <message>
        <source>Cannot accept: end the visit</source>
        <translation>受付不可として受付を終了する</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>カード</translation>
    </message>
    <message>
        <source>Card face (照合番号B)</source>
        <translation>券面事項（照合番号B）</translation>
    </message>
    <message>
        <source>Choose a reason…</source>
        <translation>理由を選んでください…</translation>
    </message>
    <message>
        <source>Choose the kind of document…</source>
        <translation>書類の種類を選んでください…</translation>
    </message>
    <message>
        <source>Choose the reason for the override.</source>
        <translation>職員判断の理由を選んでください。</translation>
    </message>
    <message>
        <source>Choose the reason that lets the expired card serve.</source>
        <translation>有効期間が満了したカードで確認する理由を選んでください。</translation>
    </message>
    <message>
        <source>Choose why the application cannot be accepted.</source>
        <translation>受付できない理由を選んでください。</translation>
    </message>
    <message>
        <source>Choose why you accept the papers.</source>
        <translation>書類を確認した理由を選んでください。</translation>
    </message>
    <message>
        <source>Compare with the printed card, then tick what holds and record the check.</source>
        <translation>券面と照合し、該当する項目にチェックを入れてから記録してください。</translation>
    </message>
    <message>
        <source>Confirmed by %1</source>
        <translation>確認済み（%1）</translation>
    </message>
    <message>
        <source>Date of birth in the chip: %1. Card valid until: %2.</source>
        <translation>ICチップ内の生年月日：%1。カードの有効期限：%2。</translation>
    </message>
    <message>
        <source>Documents by hand</source>
        <translation>書類での確認</translation>
    </message>
    <message>
        <source>Enter the amount in yen: a whole number from 1 to %1.</source>
        <translation>金額を円で入力してください（1～%1 の整数）。</translation>
    </message>
    <message>
        <source>Face check (camera)</source>
        <translation>顔認証（カメラ）</translation>
    </message>
    <message>
        <source>Fee in yen for the %1</source>
        <translation>%1の手数料（円）</translation>
    </message>
    <message>
        <source>Fees (交付記録簿)</source>
        <translation>手数料（交付記録簿）</translation>
    </message>
    <message>
        <source>Filed on</source>
        <translation>届出日</translation>
    </message>
    <message>
        <source>Free (無償)</source>
        <translation>無償</translation>
    </message>
    <message>
        <source>I compared the expired card&apos;s photo with the person: it is them</source>
        <translation>有効期間満了後のカードの写真と本人を照合し、本人と確認した</translation>
    </message>
    <message>
        <source>I confirmed the intention of both the applicant and the legal representative (要綱 2-3)</source>
        <translation>本人と法定代理人の双方の意思を確認した（要綱 2-3）</translation>
    </message>
    <message>
        <source>I saw and checked the original documents</source>
        <translation>書類の原本を確認した</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>本人確認</translation>
    </message>
    <message>
        <source>Identity check by staff</source>
        <translation>職員による本人確認</translation>
    </message>
    <message>
        <source>Identity confirmed by %1. The resident&apos;s screen goes on.</source>
        <translation>本人確認ができました（%1）。住民の画面は次に進みます。</translation>
    </message>
    <message>
        <source>Issuance is free. Record a fee only if one was collected for a certificate: it goes to the issuance ledger as paid, with its amount.</source>
        <translation>発行は無償です。証明書の手数料を徴収した場合に限り記録してください。交付記録簿に有償として金額とともに記載されます。</translation>
    </message>
    <message>
        <source>Issued on</source>
        <translation>交付日</translation>
    </message>
    <message>
        <source>Key in 照合番号B from the printed card, compare what the chip holds with the printed card, and ask the resident for details of their resident record. Both must be right, otherwise the application cannot be accepted (受付不可).</source>
        <translation>券面の照合番号Bを入力し、ICチップ内の情報と券面を照合したうえで、住民票の記載事項を本人に申告してもらってください。どちらも確認できない場合は受付不可です。</translation>
    </message>
    <message>
        <source>Kind of document</source>
        <translation>書類の種類</translation>
    </message>
    <message>
        <source>Letter of attorney signed, or named and sealed, by the applicant (委任状)</source>
        <translation>本人が署名又は記名押印した委任状</translation>
    </message>
    <message>
        <source>Name in the chip</source>
        <translation>ICチップ内の氏名</translation>
    </message>
    <message>
        <source>No acceptable identity documents (要綱 2-4, 2-5, 2-6)</source>
        <translation>有効な本人確認書類がない（要綱 2-4, 2-5, 2-6）</translation>
    </message>
    <message>
        <source>No camera is configured, or a check is running.</source>
        <translation>カメラが設定されていないか、照合を実行中です。</translation>
    </message>
    <message>
        <source>No card</source>
        <translation>カードなし</translation>
    </message>
    <message>
        <source>No certificate is issued in this procedure.</source>
        <translation>この手続では電子証明書を発行しません。</translation>
    </message>
    <message>
        <source>No visit.</source>
        <translation>受付中の住民はいません。</translation>
    </message>
    <message>
        <source>Not accepted (recorded):</source>
        <translation>受付できません（記録しました）：</translation>
    </message>
    <message>
        <source>Not accepted (受付不可): the visit has ended. Reason recorded: %1.</source>
        <translation>受付不可として受付を終了しました。記録した理由：%1。</translation>
    </message>
    <message>
        <source>Not checked yet</source>
        <translation>未確認</translation>
    </message>
    <message>
        <source>Not chosen yet</source>
        <translation>未選択</translation>
    </message>
    <message>
        <source>Not confirmed yet</source>
        <translation>未確認</translation>
    </message>
    <message>
        <source>Not presented</source>
        <translation>未提出</translation>
    </message>
    <message>
        <source>Not the same person</source>
        <translation>本人ではない</translation>
    </message>
    <message>
        <source>PIN setting request form (暗証番号設定依頼書)</source>
        <translation>暗証番号設定依頼書</translation>
    </message>
    <message>
        <source>Paid (有償)</source>
        <translation>有償</translation>
    </message>
    <message>
        <source>Photo in the chip</source>
        <translation>ICチップ内の顔写真</translation>
    </message>
    <message>
        <source>Presented, not sealed</source>
        <translation>提出あり（封緘なし）</translation>
    </message>
    <message>
        <source>Presented, sealed (envelope or concealment sticker)</source>
        <translation>提出あり（封入・封緘又は隠ぺいシール貼付）</translation>
    </message>
    <message>
        <source>Procedure</source>
        <translation>手続</translation>
    </message>
    <message>
        <source>Re-authenticate with my staff card</source>
        <translation>職員カードで再認証する</translation>
    </message>
    <message>
        <source>Read the card with 照合番号B</source>
        <translation>照合番号Bでカードを読み取る</translation>
    </message>
    <message>
        <source>Read the card with 照合番号B first: the application&apos;s details come from it.</source>
        <translation>先に照合番号Bでカードを読み取ってください。申請の記載事項はカードから取得します。</translation>
    </message>
    <message>
        <source>Reason for the override</source>
        <translation>職員判断の理由</translation>
    </message>
    <message>
        <source>Record the check</source>
        <translation>照合結果を記録</translation>
    </message>
    <message>
        <source>Record the comparison</source>
        <translation>照合結果を記録</translation>
    </message>
    <message>
        <source>Record the documents</source>
        <translation>確認した書類を記録</translation>
    </message>
    <message>
        <source>Record the fees</source>
        <translation>手数料を記録する</translation>
    </message>
    <message>
        <source>Recorded: %1.</source>
        <translation>記録しました：%1。</translation>
    </message>
    <message>
        <source>Recorded: not the same person. The face does not confirm identity; check documents by hand, or the application cannot be accepted.</source>
        <translation>本人ではないと記録しました。顔による本人確認はできません。本人確認書類を確認してください。確認できない場合は受付不可です。</translation>
    </message>
    <message>
        <source>Remove the selected document</source>
        <translation>選んだ書類を削除</translation>
    </message>
    <message>
        <source>Say whether it is the same person, and why you decide.</source>
        <translation>本人かどうかと、その判断の理由を選んでください。</translation>
    </message>
    <message>
        <source>Shown as an app&apos;s screen on a smartphone (映像面)</source>
        <translation>スマートフォンのアプリの映像面で提示</translation>
    </message>
    <message>
        <source>Sign in at the staff console: every override is recorded under its operator.</source>
        <translation>職員用画面でサインインしてください。職員の判断による受付は、操作者ごとに記録されます。</translation>
    </message>
    <message>
        <source>Signing certificate (署名用電子証明書)</source>
        <translation>署名用電子証明書</translation>
    </message>
    <message>
        <source>Something went wrong (%1). Nothing was accepted.</source>
        <translation>エラーが発生しました（%1）。受付はされていません。</translation>
    </message>
    <message>
        <source>Staff are needed (%1).</source>
        <translation>職員の対応が必要です（%1）。</translation>
    </message>
    <message>
        <source>Staff needed: %1</source>
        <translation>職員の対応が必要：%1</translation>
    </message>
    <message>
        <source>Still working on the last step. Please wait.</source>
        <translation>前の処理を実行中です。お待ちください。</translation>
    </message>
    <message>
        <source>The applicant in person (本人)</source>
        <translation>本人</translation>
    </message>
    <message>
        <source>The applicant is an adult ward (成年被後見人)</source>
        <translation>申請者は成年被後見人である</translation>
    </message>
    <message>
        <source>The camera is not available</source>
        <translation>カメラが使用できない</translation>
    </message>
    <message>
        <source>The camera picture was poor (light, camera, glasses, mask)</source>
        <translation>カメラ画像が不十分（明るさ、カメラ、眼鏡、マスク）</translation>
    </message>
    <message>
        <source>The card has expired. Within 6 months of expiry it is accepted only when its photo shows the person present (要領 (A)).</source>
        <translation>カードの有効期間が満了しています。満了日から6か月以内であれば、写真により本人であることを確認できた場合に限り使えます（要領 (A)）。</translation>
    </message>
    <message>
        <source>The card is busy. Try again in a moment.</source>
        <translation>カードを処理中です。少し待ってから、もう一度操作してください。</translation>
    </message>
    <message>
        <source>The card is not in operation at 機構 (suspended, or its status cannot be checked now): its PIN cannot confirm identity.</source>
        <translation>カードが機構で運用中ではありません（一時停止中、または現在は運用状況を確認できません）。暗証番号では本人確認ができません。</translation>
    </message>
    <message>
        <source>The card was read. Now check the proxy&apos;s documents below.</source>
        <translation>カードを読み取りました。続いて、下で代理人の書類を確認してください。</translation>
    </message>
    <message>
        <source>The card was taken out.</source>
        <translation>カードが抜かれました。</translation>
    </message>
    <message>
        <source>The card&apos;s resident registry PIN is locked.</source>
        <translation>住民基本台帳用暗証番号がロックされています。</translation>
    </message>
    <message>
        <source>The card-face check follows a failed PIN, or serves a face-auth card (要領 第2-1-(1)-ア-(イ)-B). The resident has not tried the PIN: let them try it, or check documents by hand.</source>
        <translation>券面事項の確認は、暗証番号の照合ができなかった場合か、顔認証マイナンバーカードの場合に行います（要領 第2-1-(1)-ア-(イ)-B）。住民の方はまだ暗証番号を入力していません。入力していただくか、書類で確認してください。</translation>
    </message>
    <message>
        <source>The card-face check was refused (受付不可) and recorded; it is not made again in this visit. End the visit below as not accepted, or check documents by hand.</source>
        <translation>券面事項の確認は受付不可となり、記録されました。この受付ではやり直せません。下の「受付不可」で受付を終了するか、書類を目視で確認してください。</translation>
    </message>
    <message>
        <source>The chip does not match the printed card, or the resident could not state their resident-record details (要領 第2-1-(1)-ア-(イ)-B)</source>
        <translation>ICチップの券面事項が券面と一致しない、または住民票の記載事項を正しく申告できなかった（要領 第2-1-(1)-ア-(イ)-B）</translation>
    </message>
    <message>
        <source>The document has no validity period</source>
        <translation>有効期間のない書類</translation>
    </message>
    <message>
        <source>The face check cannot start now.</source>
        <translation>今は顔認証を開始できません。</translation>
    </message>
    <message>
        <source>The face check could not decide. Compare the person with the photo on the card (and in the chip, when read with 照合番号B).</source>
        <translation>顔認証で判定できませんでした。本人とカードの写真（照合番号Bで読み取った場合はICチップ内の写真も）を見比べてください。</translation>
    </message>
    <message>
        <source>The fees shown are the ones recorded.</source>
        <translation>表示中の手数料は記録済みです。</translation>
    </message>
    <message>
        <source>The identity check was not accepted.</source>
        <translation>本人確認ができませんでした。</translation>
    </message>
    <message>
        <source>The inquiry answer (照会回答書) was presented</source>
        <translation>照会回答書の提出あり</translation>
    </message>
    <message>
        <source>The inquiry answer is not needed: a proxy of the household within a month of the notification (要綱 2-13).</source>
        <translation>照会回答書は不要です：届出から１か月以内の同一世帯の代理人（要綱2-13）。</translation>
    </message>
    <message>
        <source>The notification waives the inquiry answer only for a proxy of the applicant&apos;s household (要綱 2-13).</source>
        <translation>届出により照会回答書が不要となるのは、申請者と同一世帯の代理人に限ります（要綱2-13）。</translation>
    </message>
    <message>
        <source>The notification was filed more than a month ago: the inquiry answer is needed (要綱 2-13).</source>
        <translation>届出から１か月を過ぎています：照会回答書が必要です（要綱2-13）。</translation>
    </message>
    <message>
        <source>The person cannot follow the head-turn prompt</source>
        <translation>本人が顔の向きの指示に従えない</translation>
    </message>
    <message>
        <source>The person is not the one in the card&apos;s photo (規則 64条の5)</source>
        <translation>カードの写真の本人ではない（規則 64条の5）</translation>
    </message>
    <message>
        <source>The person operated the app in front of staff (映像面の操作を求める措置)</source>
        <translation>職員の前で本人がアプリを操作した（映像面の操作を求める措置）</translation>
    </message>
    <message>
        <source>The person&apos;s appearance changed since the card photo</source>
        <translation>カードの写真から容姿が変わっている</translation>
    </message>
    <message>
        <source>The physical document could not reasonably be shown</source>
        <translation>書類そのものの提示が困難</translation>
    </message>
    <message>
        <source>The procedure has ended: the resident&apos;s screen shows its result.</source>
        <translation>手続は終了しました。住民の画面に結果が表示されています。</translation>
    </message>
    <message>
        <source>The procedure has started: its fees can no longer change.</source>
        <translation>手続が始まったため、手数料は変更できません。</translation>
    </message>
    <message>
        <source>The procedure has started: who is applying can no longer change.</source>
        <translation>手続が始まったため、申請者の区分は変更できません。</translation>
    </message>
    <message>
        <source>The proxy lives in the applicant&apos;s household (同一世帯)</source>
        <translation>代理人は申請者と同一世帯</translation>
    </message>
    <message>
        <source>The relationship is proven (family register, guardianship registry or letter of attorney)</source>
        <translation>関係を確認した（戸籍、登記事項証明書又は委任状）</translation>
    </message>
    <message>
        <source>The representative&apos;s or proxy&apos;s papers are not in order (要綱 2-10, 2-12)</source>
        <translation>法定代理人または任意代理人の書類が整っていない（要綱 2-10, 2-12）</translation>
    </message>
    <message>
        <source>The resident does not know the resident registry PIN.</source>
        <translation>本人が住民基本台帳用暗証番号を知りません。</translation>
    </message>
    <message>
        <source>The resident stated the details of their resident record correctly</source>
        <translation>本人が住民票の記載事項を正しく申告した</translation>
    </message>
    <message>
        <source>The resident&apos;s PIN check failed.</source>
        <extracomment>Why the resident&apos;s window asks for staff (CounterWindow.identity_needed).</extracomment>
        <translation>暗証番号の照合に失敗しました。</translation>
    </message>
    <message>
        <source>The same person</source>
        <translation>本人である</translation>
    </message>
    <message>
        <source>This check is not allowed at this point.</source>
        <translation>この段階ではこの確認はできません。</translation>
    </message>
    <message>
        <source>This visit</source>
        <translation>受付中の住民</translation>
    </message>
    <message>
        <source>This visit can no longer be refused.</source>
        <translation>この受付は、もう受付不可にできません。</translation>
    </message>
    <message>
        <source>This visit did not begin under your sign-in, so an override would not be recorded in your name. Ask the resident to take out the card and start again.</source>
        <translation>この受付はあなたのサインイン中に始まったものではないため、職員の判断をあなたの名前で記録できません。住民にカードを抜いてもらい、最初からやり直してください。</translation>
    </message>
    <message>
        <source>User authentication certificate (利用者証明用電子証明書)</source>
        <translation>利用者証明用電子証明書</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>有効期限</translation>
    </message>
    <message>
        <source>Visual comparison</source>
        <translation>目視での照合</translation>
    </message>
    <message>
        <source>What the chip holds matches the printed card</source>
        <translation>ICチップ内の情報が券面の記載と一致する</translation>
    </message>
    <message>
        <source>When the application cannot be accepted, end the visit here. The resident&apos;s screen says it cannot be done, and the reason is recorded.</source>
        <translation>申請を受け付けられない場合は、ここで受付を終了してください。住民の画面には手続ができない旨が表示され、理由が記録されます。</translation>
    </message>
    <message>
        <source>Who is applying</source>
        <translation>申請者の区分</translation>
    </message>
    <message>
        <source>Why the application cannot be accepted</source>
        <translation>受付できない理由</translation>
    </message>
    <message>
        <source>free (無償)</source>
        <translation>無償</translation>
    </message>
    <message>
        <source>one photo ID (要綱2-4(1))</source>
        <translation>顔写真付きの本人確認書類1点（要綱2-4(1)）</translation>
    </message>
    <message>
        <source>paid (有償), %1 yen</source>
        <translation>有償、%1 円</translation>
    </message>
    <message>
        <source>staff&apos;s visual face comparison</source>
        <translation>職員による目視の照合</translation>
    </message>
    <message>
        <source>the card and its resident registry PIN</source>
        <translation>カードと住民基本台帳用暗証番号</translation>
    </message>
    <message>
        <source>the chip&apos;s card face and the resident&apos;s declaration</source>
        <translation>券面事項確認情報の照合と住民票記載事項の申告</translation>
    </message>
    <message>
        <source>the face check</source>
        <translation>顔認証</translation>
    </message>
    <message>
        <source>the other PIN and the face check (unattended terminal)</source>
        <translation>もう一方の暗証番号と顔認証（無人端末）</translation>
    </message>
    <message>
        <source>two documents and the inquiry answer (要綱2-4(2))</source>
        <translation>本人確認書類2点と照会回答書（要綱2-4(2)）</translation>
    </message>
    <message>
        <source>yen</source>
        <translation>円</translation>
    </message>
    <message>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <source>照合番号B is locked on this card. Check documents by hand instead.</source>
        <translation>このカードの照合番号Bはロックされています。本人確認書類を確認してください。</translation>
    </message>
    <message>
        <source>照合番号B was not correct.</source>
        <translation>照合番号Bが正しくありません。</translation>
    </message>
</context>
</TS>
